"""The ceiling: what a request could cost if the portal's Python cost no more than the
floor's, while its database work stays what the rules make it.

`GET /<kind>/<key>` replays, in the floor's Django, the statements the portal sent for one
real request of that kind (recorded by bench/http_floor.py into CEILING_STATEMENTS), with
the recorded request's key (a MED-ID, a prescription code) replaced by this request's, in
the same transactions as the portal ran them: the card read, its audit row with the hash
chain trigger, the commit. Its requests per second over the floor's is the ratio no
rewriting of the Python side can beat without giving up a rule.
"""

import json
import os
from contextlib import nullcontext
from pathlib import Path

from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import path

RECORDED = json.loads(Path(os.environ["CEILING_STATEMENTS"]).read_text())


def replay(request, kind, key):
    recorded = RECORDED[kind]
    answer = None  # the first row read, as the portal answers its main read
    for atomic, statements in recorded["transactions"]:
        with transaction.atomic() if atomic else nullcontext(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement.replace(recorded["key"], key))
                if answer is None and cursor.description:
                    answer = cursor.fetchone()
    if answer is None:
        return JsonResponse({"detail": "not found"}, status=404)
    return JsonResponse({"row": answer}, json_dumps_params={"default": str})


urlpatterns = [path("<str:kind>/<str:key>", replay)]

"""The one call services make: `emit(kind, payload, dedupe_key=...)`.

Call it inside the service's own `transaction.atomic()`, next to the write the event
describes: the event commits with the change or not at all, so there is never an event
for a change that was rolled back, nor a change whose event was lost. Nothing is sent
here (Redis may be down; the request must still succeed): the relay picks the row up.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from outbox.kinds import KINDS
from outbox.models import Event


class NotInTransaction(RuntimeError):
    """emit() was called in autocommit mode, where the event could outlive a rollback."""


def emit(kind: str, payload: dict, *, dedupe_key: str | None = None) -> Event:
    """Record an event in the caller's transaction; returns it.

    `dedupe_key` makes the emit idempotent: a second emit with the same key returns the
    event written first and writes nothing.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}; add it to outbox.kinds")
    if not transaction.get_connection().in_atomic_block:
        raise NotInTransaction(
            "outbox.events.emit() must run inside the service's transaction.atomic()"
        )
    if dedupe_key is None:
        return Event.objects.create(kind=kind, payload=payload)
    try:
        with transaction.atomic():  # a savepoint: a taken key must not break the caller
            return Event.objects.create(kind=kind, payload=payload, dedupe_key=dedupe_key)
    except IntegrityError:  # the key was taken: the first emit stands
        return Event.objects.get(dedupe_key=dedupe_key)

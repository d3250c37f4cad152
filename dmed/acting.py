"""Where a signed-in user acts now: the core asks, the app that keeps staff records answers.

The core knows no app, so the answer comes through a hook: settings.ACTING_FACILITY_RESOLVER
names a function (user) -> facility code ("" for none). The audit trail records it on each
event and the API's /auth/me/ tells it.
"""

from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string


@lru_cache(maxsize=1)
def _resolver():
    return import_string(settings.ACTING_FACILITY_RESOLVER)


def acting_facility_code(user) -> str:
    if user is None or not user.is_authenticated:
        return ""
    return _resolver()(user)

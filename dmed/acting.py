"""Where a signed-in user acts now: the core asks, the app that keeps staff records answers.

The core knows no app, so the answer comes through a hook: settings.ACTING_FACILITY_RESOLVER
names a function (user) -> facility code ("" for none). The audit trail records it on each
event and the API's /auth/me/ tells it.

A person who works at several facilities chooses the one they act for: in the browser for
the session (SESSION_KEY), from an integration per request (the X-DMED-Facility header).
The middleware hands that choice to the resolver through chosen_facility(); whether the
person works there is the resolver's to decide.
"""

from contextvars import ContextVar
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


SESSION_KEY = "dmed_acting_facility"
HEADER = "HTTP_X_DMED_FACILITY"
_chosen: ContextVar[str] = ContextVar("dmed_chosen_facility", default="")


def set_chosen_facility(request) -> object:
    """Start a request's facility choice (the header first, then the session's); returns
    the token to reset it with."""
    session = getattr(request, "session", None)
    chosen = request.META.get(HEADER) or (session.get(SESSION_KEY, "") if session else "")
    return _chosen.set(str(chosen)[:32])


def reset_chosen_facility(token) -> None:
    _chosen.reset(token)


def chosen_facility() -> str:
    return _chosen.get()

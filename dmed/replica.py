"""Reads that may be a moment old go to the read replica; everything else, and a person's
own reads just after they wrote, to the primary.

The replica is the `replica` database, configured when DATABASE_REPLICA_URL is set. A read
opts in by asking `lag_tolerant_db(user)` for its alias (searches, timelines, lists):
an explicit choice at the query, because only its author knows whether a second of lag
is harmless there. After a person's successful write (any unsafe request), their reads
stay on the primary for REPLICA_PIN_SECONDS, remembered in the shared cache so every web
process agrees.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _pin_key(user_id: int) -> str:
    return f"replica-pin:{user_id}"


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def lag_tolerant_db(user) -> str:
    """The alias for a read that tolerates replication lag, for this person now."""
    if (not replica_configured()
            # Inside a transaction the primary's snapshot is the one that counts.
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
            or (user is not None and user.is_authenticated
                and cache.get(_pin_key(user.pk)) is not None)):
        return DEFAULT_DB_ALIAS
    return REPLICA


def pin_to_primary(user) -> None:
    cache.set(_pin_key(user.pk), 1, timeout=settings.REPLICA_PIN_SECONDS)


class ReadYourWritesMiddleware:
    """After a person's successful write, keep their reads on the primary for a while.
    After the view, so that API users (authenticated in the view) are known too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (replica_configured() and request.method not in SAFE_METHODS
                and response.status_code < 400):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                pin_to_primary(user)
        return response


class PrimaryReplicaRouter:
    """Writes and migrations only on the primary (the replica is read-only); reads on the
    primary unless a query chose the replica, and objects read there follow it for
    their related rows."""

    def db_for_read(self, model, **hints):
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA

"""Liveness and readiness probes for the load balancer and the orchestrator.

Anyone may call them, so they say what is down, never why: the cause (host names, drivers'
messages) goes to the log for operations. The core checks the database and the broker; apps
add their own checks through settings.READINESS_CHECKS (name -> a function answering None
when ready, else the cause), so the core imports no app.
"""

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from kombu import Connection

logger = logging.getLogger(__name__)


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


def _database_answers() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 — any failure means "not ready"
        return f"{type(exc).__name__}: {exc}"
    return None


def _broker_answers() -> str | None:
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return None


@never_cache
def readyz(request):
    checks = {"database": _database_answers(), "broker": _broker_answers()}
    for name, check in settings.READINESS_CHECKS.items():
        checks[name] = import_string(check)()
    down = {name: error for name, error in checks.items() if error}
    body = {
        "status": "unavailable" if down else "ok",
        "checks": {name: ("down" if error else "ok") for name, error in checks.items()},
    }
    for name, error in down.items():
        logger.warning("readyz: %s is down: %s", name, error)
    return JsonResponse(body, status=503 if down else 200)

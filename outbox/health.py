"""The outbox's readiness check (settings.READINESS_CHECKS, asked by dmed/health.py)."""

from django.conf import settings

from outbox.selectors import outbox_lag


def outbox_keeps_up() -> str | None:
    """None when the outbox keeps up, else why not (for the log, never the answer)."""
    try:
        lag = outbox_lag().total_seconds()
    except Exception as exc:  # noqa: BLE001 — the database check reports the cause
        return f"{type(exc).__name__}: {exc}"
    if lag > settings.OUTBOX_LAG_ALERT_SECONDS:
        return f"outbox lag {lag:.0f} s over {settings.OUTBOX_LAG_ALERT_SECONDS} s"
    return None

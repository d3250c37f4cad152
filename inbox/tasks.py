from celery import shared_task
from django.utils.dateparse import parse_datetime

from inbox import services


@shared_task(name="inbox.escalate_critical")
def escalate_critical(now: str | None = None) -> int:
    """Escalate critical results nobody acknowledged in time; `now` (ISO) for a check run
    as if later."""
    return services.escalate_unacknowledged(now=parse_datetime(now) if now else None)

"""Beat tasks of mother-and-child care: each calls one function and is safe to run twice."""

from celery import shared_task

from mch import schedules


@shared_task
def refresh_immunisation_statuses() -> int:
    return schedules.refresh_stale()

"""Beat tasks of mother-and-child care: each calls one function and is safe to run twice."""

from celery import shared_task

from mch import schedules, services


@shared_task
def refresh_immunisation_statuses() -> int:
    return schedules.refresh_stale()


@shared_task
def send_immunisation_reminders() -> int:
    return services.send_immunisation_reminders()

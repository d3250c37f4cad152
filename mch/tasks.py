"""Beat tasks of mother-and-child care: each calls the functions it names and is safe to
run twice."""

from celery import shared_task

from mch import schedules, services


@shared_task
def refresh_schedules() -> int:
    return schedules.refresh_stale() + schedules.refresh_next_contacts()


@shared_task
def send_immunisation_reminders() -> int:
    return services.send_immunisation_reminders()

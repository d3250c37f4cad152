"""Beat tasks of the queues: each calls one service and is safe to run twice."""

from celery import shared_task

from queues import services


@shared_task
def close_stale_tickets() -> int:
    return services.close_stale_tickets()


@shared_task
def mark_missed_appointments() -> int:
    return services.mark_missed_appointments()


@shared_task
def send_appointment_reminders() -> int:
    return services.send_appointment_reminders()

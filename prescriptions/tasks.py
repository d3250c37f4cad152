from celery import shared_task

from prescriptions import services


@shared_task(name="prescriptions.tasks.expire_prescriptions")
def expire_prescriptions() -> int:
    """Close issues past their last valid day and warn about those ending soon (beat runs
    it hourly; idempotent: each event has its dedupe key)."""
    services.warn_expiring()
    return services.expire_prescriptions()

from celery import shared_task

from prescriptions import patient_checks, services


@shared_task(name="prescriptions.tasks.expire_prescriptions")
def expire_prescriptions() -> int:
    """Close issues past their last valid day and warn about those ending soon (beat runs
    it hourly; idempotent: each event has its dedupe key)."""
    services.warn_expiring()
    return services.expire_prescriptions()


@shared_task(name="prescriptions.tasks.forget_old_patient_checks")
def forget_old_patient_checks() -> int:
    """Wrong patient checks older than the counting window no longer count (beat, hourly)."""
    return patient_checks.forget_old_failures()

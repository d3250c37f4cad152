"""Celery tasks: thin wrappers around fhir.export."""

from celery import shared_task

from fhir import export


@shared_task(name=export.STEP_TASK, ignore_result=True, acks_late=True,
             reject_on_worker_lost=True)
def export_step(job_id: str) -> bool:
    """One step of a bulk export; the next is sent when more remains."""
    more = export.run_step(job_id)
    if more:
        export.enqueue(job_id)
    return more


@shared_task(name="fhir.export_resume", ignore_result=True)
def export_resume() -> int:
    return export.resume_stalled()


@shared_task(name="fhir.export_delete_expired", ignore_result=True)
def export_delete_expired() -> int:
    return export.delete_expired()

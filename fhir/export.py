"""FHIR Bulk Data export (`$export`): the jobs' writes, and the Celery steps that write the
NDJSON files.

A kick-off saves an ExportJob and audits it; its first step is sent when the transaction
commits. A step reads the population's records in keyset chunks (fhir.export_selectors),
maps each with the functions the reads use (fhir.mapping) and appends one JSON line per
resource to the type's current file under settings.FHIR_EXPORT_DIR/<job id>/. After each
chunk it saves where it stands; after FHIR_EXPORT_STEP_SECONDS it sends the next step and
ends, so no task outlives Celery's time limits and memory holds one chunk, however big
the export. One step at a time per job (a PostgreSQL advisory lock); a step lost with its
worker or broker is sent again by `resume_stalled` (beat), and starts by cutting the files
back to the sizes last saved. Cancelling deletes the job and its files; a step still
running notices at its next save and removes what it wrote. Files are deleted
FHIR_EXPORT_KEEP_HOURS after the export ends (`delete_expired`, beat).
"""

from __future__ import annotations

import json
import logging
import shutil
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from dmed.audit import record_audit_event
from dmed.celery import app as celery_app
from dmed.models import AuditAction
from fhir.export_selectors import Population, chunks, sources_seen
from fhir.models import ExportJob, ExportStatus, FhirClient

log = logging.getLogger(__name__)

STEP_TASK = "fhir.export_step"
EXPORT_OBJECT = "fhir.export"
EXPORT_FILE_OBJECT = "fhir.export_file"
CHUNK = 2000  # records read, mapped and written at a time


def job_dir(job_id) -> Path:
    return Path(settings.FHIR_EXPORT_DIR) / str(job_id)


def file_path(job: ExportJob, name: str) -> Path | None:
    """A file the job has written, by its name in the manifest."""
    if not any(entry["name"] == name for entry in job.output):
        return None
    return job_dir(job.pk) / name


def _describe(client: FhirClient) -> str:
    return f"{client} ({client.application.client_id})"


def enqueue(job_id) -> None:
    """Send a step; if the broker is away, `resume_stalled` sends it later."""
    try:
        celery_app.send_task(STEP_TASK, (str(job_id),), retry=False)
    except OperationalError:
        log.warning("broker unreachable; export %s waits for the resume beat", job_id)


def start_export(*, client: FhirClient, types: list[str], since, group,
                 request_url: str) -> ExportJob:
    """Save the job, audit the kick-off (the client system, its account and facility),
    and send its first step once committed."""
    with transaction.atomic():
        job = ExportJob.objects.create(client=client, group=group, types=types, since=since,
                                       request_url=request_url)
        record_audit_event(
            actor=client.application.user, action=AuditAction.EXPORT,
            object_type=EXPORT_OBJECT, object_id=job.pk,
            reason=(f"{_describe(client)}: $export {','.join(types)}"
                    + (f" of Group/{group.code}" if group else "")
                    + (f" since {since.isoformat()}" if since else ""))[:300])
        transaction.on_commit(lambda: enqueue(job.pk))
    return job


def record_download(job: ExportJob, name: str) -> None:
    """One audit event per file fetched, naming the client system."""
    record_audit_event(actor=job.client.application.user, action=AuditAction.EXPORT,
                       object_type=EXPORT_FILE_OBJECT, object_id=f"{job.pk}/{name}",
                       reason=f"{_describe(job.client)}: {name}"[:300])


def cancel(job: ExportJob) -> None:
    """Delete the job and whatever it wrote (a step still running stops at its next save)."""
    ExportJob.objects.filter(pk=job.pk).delete()
    shutil.rmtree(job_dir(job.pk), ignore_errors=True)


@contextmanager
def _step_lock(job_id):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [f"fhir.export:{job_id}"])
        locked = cursor.fetchone()[0]
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))",
                               [f"fhir.export:{job_id}"])


class _Files:
    """The job's NDJSON files: appends lines to the type's current file, starting the
    next when it holds FHIR_EXPORT_FILE_RESOURCES; keeps each file's count and size in
    job.output."""

    def __init__(self, job: ExportJob):
        self.job, self.folder = job, job_dir(job.pk)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.handle, self.entry = None, None
        if job.output:
            # Whatever a lost step wrote after its last save is cut off (and written again).
            last = job.output[-1]
            path = self.folder / last["name"]
            if path.exists() and path.stat().st_size > last["bytes"]:
                with path.open("r+b") as file:
                    file.truncate(last["bytes"])

    def _current(self, resource_type: str) -> dict:
        limit = settings.FHIR_EXPORT_FILE_RESOURCES
        last = self.job.output[-1] if self.job.output else None
        if last is None or last["type"] != resource_type or last["count"] >= limit:
            number = sum(entry["type"] == resource_type for entry in self.job.output) + 1
            last = {"type": resource_type, "name": f"{resource_type}-{number}.ndjson",
                    "count": 0, "bytes": 0}
            self.job.output.append(last)
        if self.entry is not last:
            self.close()
            self.entry, self.handle = last, (self.folder / last["name"]).open("ab")
        return last

    def write(self, resource_type: str, lines: list[bytes]) -> None:
        while lines:
            entry = self._current(resource_type)
            room = settings.FHIR_EXPORT_FILE_RESOURCES - entry["count"]
            batch, lines = lines[:room], lines[room:]
            self.handle.write(b"".join(batch))
            self.handle.flush()
            entry["count"] += len(batch)
            entry["bytes"] = self.handle.tell()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def _save(job: ExportJob, **fields) -> bool:
    """Save progress; False when the job was cancelled meanwhile."""
    return ExportJob.objects.filter(pk=job.pk, status=ExportStatus.IN_PROGRESS).update(
        position=job.position, output=job.output, written=job.written,
        updated_at=timezone.now(), **fields) == 1


def _line(resource: dict) -> bytes:
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def run_step(job_id, *, seconds: float | None = None, chunk: int = CHUNK) -> bool:
    """Write for up to `seconds` (FHIR_EXPORT_STEP_SECONDS); True when more remains."""
    with _step_lock(job_id) as locked:
        if not locked:
            return False  # another step of this job is running
        job = (ExportJob.objects.select_related("client__application__user", "group")
               .filter(pk=job_id, status=ExportStatus.IN_PROGRESS).first())
        if job is None:
            return False
        try:
            return _write(job, seconds if seconds is not None
                          else settings.FHIR_EXPORT_STEP_SECONDS, chunk)
        except Exception as error:
            log.exception("export %s failed", job.pk)
            ExportJob.objects.filter(pk=job.pk, status=ExportStatus.IN_PROGRESS).update(
                status=ExportStatus.FAILED, error=f"{type(error).__name__}: {error}"[:1000],
                completed_at=timezone.now(), updated_at=timezone.now())
            return False


def _write(job: ExportJob, seconds: float, chunk: int) -> bool:
    deadline = time.monotonic() + seconds
    account = job.client.application.user
    population = Population(account=account, group=job.group, since=job.since)
    files = _Files(job)
    position = job.position or {"type": 0, "source": 0, "after": None}
    try:
        for type_index in range(position["type"], len(job.types)):
            resource_type = job.types[type_index]
            sources = sources_seen(account, resource_type)
            first = position["source"] if type_index == position["type"] else 0
            for source_index in range(first, len(sources)):
                source = sources[source_index]
                after = position["after"] if (type_index, source_index) == (
                    position["type"], position["source"]) else None
                rows = source.rows(population)
                for records in chunks(rows, after=after, size=chunk):
                    files.write(resource_type, [_line(source.to_fhir(r)) for r in records])
                    job.written += len(records)
                    job.position = {"type": type_index, "source": source_index,
                                    "after": records[-1].pk}
                    if not _save(job):
                        files.close()
                        shutil.rmtree(job_dir(job.pk), ignore_errors=True)
                        return False
                    if time.monotonic() > deadline:
                        return True
        files.close()
        if not _save(job, status=ExportStatus.COMPLETED, completed_at=timezone.now()):
            shutil.rmtree(job_dir(job.pk), ignore_errors=True)
        return False
    finally:
        files.close()


def stalled_after() -> timedelta:
    return timedelta(seconds=2 * settings.FHIR_EXPORT_STEP_SECONDS + 60)


def resume_stalled() -> int:
    """Send a step for each export that has not moved for a while (its step lost)."""
    stalled = list(ExportJob.objects.filter(
        status=ExportStatus.IN_PROGRESS, updated_at__lt=timezone.now() - stalled_after())
        .values_list("pk", flat=True))
    for job_id in stalled:
        enqueue(job_id)
    return len(stalled)


def expires_at(job: ExportJob):
    return job.completed_at + timedelta(hours=settings.FHIR_EXPORT_KEEP_HOURS)


def delete_expired() -> int:
    """Delete exports ended more than FHIR_EXPORT_KEEP_HOURS ago, with their files, and
    any folder left without a job (a cancelled export's late writes)."""
    cutoff = timezone.now() - timedelta(hours=settings.FHIR_EXPORT_KEEP_HOURS)
    expired = list(ExportJob.objects.filter(
        Q(completed_at__lt=cutoff) | Q(status=ExportStatus.IN_PROGRESS,
                                       transaction_time__lt=cutoff))
        .values_list("pk", flat=True))
    ExportJob.objects.filter(pk__in=expired).delete()
    for job_id in expired:
        shutil.rmtree(job_dir(job_id), ignore_errors=True)
    root = Path(settings.FHIR_EXPORT_DIR)
    if root.is_dir():
        folders = {path.name: path for path in root.iterdir() if path.is_dir()}
        known = {str(pk) for pk in ExportJob.objects.filter(
            pk__in=[name for name in folders if _is_uuid(name)]).values_list("pk", flat=True)}
        for name, path in folders.items():
            if _is_uuid(name) and name not in known:
                shutil.rmtree(path, ignore_errors=True)
    return len(expired)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True

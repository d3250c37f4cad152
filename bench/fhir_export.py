"""A FHIR bulk export of a million patients with their conditions: time, resources a
second, and the peak resident memory of the Celery worker that writes it.

    DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/dmed_bench_export \\
        .venv/bin/python bench/fhir_export.py --cards 1000000

Works in its own database (created and migrated when missing; the name must contain
"bench") and a Redis server of its own on a free port. It seeds the demo world once, tops
the cards up to --cards with `manage.py generate_patients` and, unless there are half as
many diagnoses already, gives them a year of closed visits with their diagnoses
(`manage.py generate_visits --years 1 --per-year 1`). Then it registers the demo national
platform client, starts one Celery worker (`--pool solo`, so the process that runs the
task is the one measured) and kicks off `$export?_type=Patient,Condition` as the endpoint
does (fhir.export.start_export), waits until the job completes, and prints the time, the
resources written a second, the files' sizes, and the worker's peak resident memory
(VmHWM) with its resident memory at the start. The files go to a temporary folder,
removed at the end. It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from outbox_relay import free_port, start_redis  # noqa: E402
from patients_lookup import ROOT, ensure_world, memory_kb, setup_django, top_up  # noqa: E402


def ensure_conditions(cards: int) -> None:
    """Visits with diagnoses for the cards, unless most have some (the demo's few do not
    count)."""
    from django.core.management import call_command

    from clinics.visits.models import VisitDiagnosis

    if VisitDiagnosis.objects.count() >= cards // 2:
        return
    print("generating a year of visits with their diagnoses…", flush=True)
    call_command("generate_visits", years=1, per_year=1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cards", type=int, default=1_000_000)
    parser.add_argument("--polyclinics", type=int, default=30)
    parser.add_argument("--step-seconds", type=int, default=30)
    args = parser.parse_args()

    redis = start_redis(port := free_port())
    folder = Path(tempfile.mkdtemp(prefix="fhir-export-bench-"))
    os.environ.update({"DJANGO_DEBUG": "1", "CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/0",
                       "FHIR_EXPORT_DIR": str(folder),
                       "FHIR_EXPORT_STEP_SECONDS": str(args.step_seconds)})
    worker = None
    try:
        setup_django()
        top_up(args.cards, ensure_world(args.polyclinics), 50_000)
        ensure_conditions(args.cards)

        from fhir import export
        from fhir.demo_clients import demo_clients
        from fhir.models import ExportJob, ExportStatus, FhirClient
        from patients.models import PatientCard

        demo_clients()
        client = FhirClient.objects.select_related("application__user").get(
            application__client_id="demo-national-platform")
        cards = PatientCard.objects.exclude(status="merged").count()
        print(f"{cards:,} cards; exporting Patient and Condition as {client}", flush=True)

        worker = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "celery", "--quiet", "-A", "dmed", "worker", "--pool=solo",
             "--loglevel=WARNING", "--without-gossip", "--without-mingle",
             "--without-heartbeat"], cwd=ROOT, env=os.environ.copy())
        time.sleep(8)  # the worker imports Django and connects
        idle_mb = memory_kb(worker.pid, "VmRSS") / 1024
        started = time.perf_counter()
        job = export.start_export(client=client, types=["Patient", "Condition"], since=None,
                                  group=None, request_url="bench")
        while True:
            time.sleep(2)
            job.refresh_from_db()
            if job.status != ExportStatus.IN_PROGRESS or worker.poll() is not None:
                break
            print(f"  {job.written:,} written, worker RSS "
                  f"{memory_kb(worker.pid, 'VmRSS') / 1024:.0f} MB", flush=True)
        elapsed = time.perf_counter() - started
        peak_mb = memory_kb(worker.pid, "VmHWM") / 1024
        print(f"status: {job.status} {job.error}")
        for entry in job.output:
            print(f"  {entry['name']}: {entry['count']:,} resources, "
                  f"{entry['bytes'] / 2**20:,.0f} MiB")
        print(f"{job.written:,} resources in {elapsed:,.1f} s: "
              f"{job.written / elapsed:,.0f} resources/s")
        print(f"worker resident memory: {idle_mb:.0f} MB idle, peak {peak_mb:.0f} MB")
        ExportJob.objects.filter(pk=job.pk).delete()
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait()
        redis.kill()
        redis.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

"""What the nightly mother-and-child tasks cost with 100,000 children in one polyclinic.

    DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/dmed_bench_mch \\
        .venv/bin/python bench/mch_nightly.py --children 100000

Fills the database as bench/mch_district.py does (the same polyclinic, children and
vaccinations; created when missing), stores every child's next dose once, then times
the beat tasks of mch/tasks.py as they run night after night: `refresh_schedules` (the
stale children's next doses, the pregnancies' next contacts) and
`send_immunisation_reminders`, for --nights consecutive days from today. For each run:
seconds, queries, rows it refreshed or reminders it raised, and the Python heap's peak
(tracemalloc). The nights run in one transaction rolled back at the end, so every run
of the bench measures the same nights on the same data (the code before and after a
change). It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mch_district import ensure_polyclinic, fill, store_next_doses  # noqa: E402
from patients_lookup import ensure_world, setup_django  # noqa: E402


def measured(label: str, run) -> None:
    from django.db import connection

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    tracemalloc.start()
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        result = run()
    took = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"  {label:<30} {took:7.2f} s  {queries:6,} queries  "
          f"{result:8,} rows  peak {peak / 2**20:7.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--nights", type=int, default=4)
    args = parser.parse_args()

    setup_django()
    ensure_world(1)
    facility, doctor, _nurse = ensure_polyclinic()
    fill(facility, doctor, args.children)
    store_next_doses()

    from django.db import transaction
    from django.utils import timezone

    from mch import schedules, services

    today = timezone.localdate()
    with transaction.atomic():
        for night in range(args.nights):
            day = today + timedelta(days=night)
            print(f"night of {day:%Y-%m-%d}:")
            measured("refresh_schedules", lambda day=day: schedules.refresh_stale(day)
                     + schedules.refresh_next_contacts())
            measured("send_immunisation_reminders",
                     lambda day=day: services.send_immunisation_reminders(today=day))
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()

"""Tickets issued and called per second through the queue services, alone and in parallel.

Issue: numbering (the day's counter row, upserted and locked), the insert and the audit
row. Call next: the head of the line taken with FOR UPDATE SKIP LOCKED, the update, the
audit row and the outbox event. Parallel runs show what the locks cost when desks race.

    DJANGO_DEBUG=1 .venv/bin/python bench/queue_throughput.py --tickets 2000 --threads 8

Works in its own database, `dmed_bench_queue` (created and migrated when missing).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from datetime import date
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dmed_bench_queue")
from patients_lookup import ensure_world, setup_django  # noqa: E402

FACILITY = "BENCH-QUEUE"


def bench_point_and_staff(desks: int):
    """A service point open around the clock with its registrar and desks; emptied."""
    from dmed.models import User
    from dmed.roles import Role
    from queues.models import ServicePoint, Ticket, TicketCounter, WorkingHours
    from registry.models import Facility, FacilityKind, StaffRecord

    home = Facility.objects.get(code="TSH-CHL-P12")
    facility, _ = Facility.objects.get_or_create(
        code=FACILITY, defaults={"kind": FacilityKind.POLYCLINIC, "name": "Bench polyclinic",
                                 "tax_id": "209999999", "region": home.region,
                                 "address": home.address})
    point, _ = ServicePoint.objects.get_or_create(facility=facility, ticket_prefix="B",
                                                  defaults={"kind": "registration",
                                                            "name": "Bench desk"})
    for weekday in range(7):
        WorkingHours.objects.get_or_create(service_point=point, weekday=weekday,
                                           valid_from=date(2024, 1, 1),
                                           defaults={"opens_at": clock(0, 0),
                                                     "closes_at": clock(23, 59, 59)})
    Ticket.objects.filter(service_point=point).delete()
    TicketCounter.objects.filter(service_point=point).delete()

    def member(name: str, role: str) -> User:
        user, _ = User.objects.get_or_create(username=name, defaults={"role": role})
        StaffRecord.objects.get_or_create(user=user, facility=facility, role=role,
                                          defaults={"active_from": date(2024, 1, 1)})
        return user

    registrars = [member(f"bench-registrar-{i}", Role.REGISTRAR) for i in range(desks)]
    nurses = [member(f"bench-desk-{i}", Role.NURSE) for i in range(desks)]
    return point, registrars, nurses


def in_parallel(workers: int, work) -> float:
    """Run work(i) in `workers` threads started together; seconds until all are done."""
    from django.db import connection

    barrier = threading.Barrier(workers + 1)

    def run(index):
        barrier.wait()
        try:
            work(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def issue(point, registrars, total: int, workers: int) -> tuple[float, float]:
    """Tickets a second, and this process's CPU milliseconds a ticket."""
    from queues import services

    share = total // workers

    def work(index):
        for _ in range(share):
            services.issue_ticket(actor=registrars[index], service_point=point)

    cpu = time.process_time()
    seconds = in_parallel(workers, work)
    return share * workers / seconds, 1000 * (time.process_time() - cpu) / (share * workers)


def call_all(point, nurses, workers: int) -> tuple[float, int, float]:
    from queues import services

    counts = [0] * workers

    def work(index):
        # A desk serves one ticket at a time, so each call is followed by completing it.
        while (ticket := services.call_next(actor=nurses[index], service_point=point)):
            services.complete(actor=nurses[index], ticket_id=ticket.public_id)
            counts[index] += 1

    cpu = time.process_time()
    seconds = in_parallel(workers, work)
    return sum(counts) / seconds, sum(counts), 1000 * (time.process_time() - cpu) / sum(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    setup_django()
    ensure_world(1)
    from queues.models import Ticket

    print(f"database {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}, "
          f"{args.tickets} tickets per run, {os.cpu_count()} CPUs")
    for workers in (1, args.threads):
        point, registrars, nurses = bench_point_and_staff(args.threads)
        issued, issue_cpu = issue(point, registrars, args.tickets, workers)
        numbers = list(Ticket.objects.filter(service_point=point).values_list("number",
                                                                              flat=True))
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), "numbering has gaps"
        called, count, call_cpu = call_all(point, nurses, workers)
        assert count == len(numbers), "a ticket was called twice or never"
        print(f"{workers:>2} thread(s): issue {issued:7.0f} tickets/s   "
              f"call next {called:7.0f} calls/s   ({count} tickets, each called once); "
              f"CPU of this process: {issue_cpu:.2f} ms an issue, {call_cpu:.2f} ms a call "
              f"with its completion")


if __name__ == "__main__":
    main()

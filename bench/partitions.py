"""Month partitions at work: fills months of audit rows, outbox events and deliveries,
dispensings and queue tickets, then prints the EXPLAIN (ANALYZE) of the queries that read
them, with the partitions each one touched.

    DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/dmed_bench_partition \\
        .venv/bin/python bench/partitions.py --months 6 --audit-per-month 100000

Rows are written with INSERT … SELECT (the audit rows through the chain trigger, as the
portal writes them); a second run with the same options adds nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("DATABASE_URL",
                      "postgres://postgres@127.0.0.1:5432/dmed_bench_partition")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from patients_lookup import ensure_world, setup_django  # noqa: E402

TASHKENT = ZoneInfo("Asia/Tashkent")
PATIENT = "1000000017"


def months_back(count: int) -> list[date]:
    from dmed.partitions import add_months, month_start

    this = month_start(datetime.now(tz=TASHKENT).date())
    return [add_months(this, -n) for n in reversed(range(count))]


# Each table's rows of a month, by its month column: what is missing up to the month's count
# is written by the statement, with (month start, seconds, missing) as its parameters
# %(start)s, %(seconds)s, %(missing)s and the rest as named.
FILLS = {
    # One patient in a thousand rows is the bench patient; the rest are spread. Through the
    # chain trigger, as the portal writes them.
    ("dmed_auditevent", "occurred_at"): (
        "INSERT INTO dmed_auditevent (occurred_at, actor_id, actor_role, facility_code, "
        "action, object_type, object_id, patient_med_id, reason, allowed, break_glass, "
        "user_agent) "
        "SELECT %(start)s::timestamptz + (n::float8 * %(seconds)s / %(missing)s) "
        "* interval '1 second', %(doctor)s, 'clinician', 'TSH-CHL-P12', 'view', "
        "'patients.card', n::text, CASE WHEN n %% 1000 = 0 THEN %(patient)s "
        "ELSE (1000000000 + n %% 500000)::text END, '', true, false, 'bench' "
        "FROM generate_series(1, %(missing)s) n"),
    ("outbox_event", "created_at"): (
        "WITH made AS (INSERT INTO outbox_event (uuid, kind, payload, created_at, relayed_at) "
        "SELECT gen_random_uuid(), 'prescription.issued', '{}', "
        "%(start)s::timestamptz + (n::float8 * %(seconds)s / %(missing)s) * interval '1 second', "
        "%(start)s::timestamptz + (n::float8 * %(seconds)s / %(missing)s) * interval '1 second' "
        "FROM generate_series(1, %(missing)s) n RETURNING id, created_at) "
        "INSERT INTO outbox_delivery (event_id, event_created_at, consumer, target, status, "
        "attempts, next_attempt_at, last_error, created_at, finished_at) "
        "SELECT id, created_at, 'notifications', '', 'done', 1, created_at, '', created_at, "
        "created_at FROM made"),
    ("prescriptions_dispensing", "dispensed_at"): (
        "INSERT INTO prescriptions_dispensing (public_id, prescription_id, pharmacy_id, "
        "pharmacist_id, idempotency_key, request_digest, identity_document, status_after, "
        "dispensed_at) "
        "SELECT gen_random_uuid(), %(prescription)s, %(pharmacy)s, %(doctor)s, '', '', '', "
        "'dispensed', %(start)s::timestamptz + (n::float8 * %(seconds)s / %(missing)s) "
        "* interval '1 second' FROM generate_series(1, %(missing)s) n"),
    # A month of served tickets at the bench desk, numbered per day; today's waiting line
    # is added after.
    ("queue_ticket", "day"): (
        "INSERT INTO queue_ticket (public_id, service_point_id, day, number, prefix, priority, "
        "status, issued_at, queued_for, called_at, call_count, desk, finished_at) "
        "SELECT gen_random_uuid(), %(point)s, (moment AT TIME ZONE 'Asia/Tashkent')::date, "
        "row_number() OVER (PARTITION BY (moment AT TIME ZONE 'Asia/Tashkent')::date "
        "ORDER BY n) + 10000, 'B', 9, 'completed', moment, moment, moment, 1, '1', "
        "moment + interval '5 minutes' FROM (SELECT n, %(start)s::timestamptz + (n::float8 * "
        "%(seconds)s / %(missing)s) * interval '1 second' AS moment "
        "FROM generate_series(1, %(missing)s) n) spread"),
}


def fill(months: list[date], per_month: dict[str, int], point) -> None:
    from django.db import connection

    from dmed.models import User
    from prescriptions.models import Prescription
    from registry.models import Facility, FacilityKind

    names = {"doctor": User.objects.get(username="doctor").pk, "patient": PATIENT,
             "pharmacy": Facility.objects.filter(kind=FacilityKind.PHARMACY).first().pk,
             "prescription": Prescription.objects.first().pk, "point": point.pk}
    tables = ("dmed_auditevent", "outbox_event", "outbox_delivery", "prescriptions_dispensing",
              "queue_ticket")
    with connection.cursor() as cursor:
        for month in months:
            for table in tables:
                cursor.execute("SELECT dmed_month_partition(%s, %s)", [table, month])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for month in months:
            start = datetime(month.year, month.month, 1, tzinfo=TASHKENT)
            for (table, column), statement in FILLS.items():
                count = per_month[table]
                cursor.execute(
                    f"SELECT count(*) FROM {table} WHERE {column} >= %s "  # noqa: S608 (fixed names)
                    f"AND {column} < %s + interval '1 month'",
                    [start.date() if column == "day" else start] * 2)
                missing = count - cursor.fetchone()[0]
                if missing > 0:
                    began = time.perf_counter()
                    cursor.execute(statement, {**names, "start": start, "missing": missing,
                                               "seconds": 27 * 86400})
                    print(f"{table} {month:%Y-%m}: {missing} rows, "
                          f"{missing / (time.perf_counter() - began):,.0f} rows/s")
        # The relay's work of the moment: a few events not relayed yet, this month.
        cursor.execute("SELECT count(*) FROM outbox_event WHERE relayed_at IS NULL")
        if not cursor.fetchone()[0]:
            cursor.execute("INSERT INTO outbox_event (uuid, kind, payload, created_at) "
                           "SELECT gen_random_uuid(), 'prescription.issued', '{}', now() "
                           "FROM generate_series(1, 20)")
        # Today's line at the bench desk, for call next to take its head.
        cursor.execute("INSERT INTO queue_ticket (public_id, service_point_id, day, number, "
                       "prefix, priority, status, issued_at, queued_for, call_count, desk) "
                       "SELECT gen_random_uuid(), %s, %s, 20000 + n, 'B', 9, 'waiting', now(), "
                       "now(), 0, '' FROM generate_series(1, 20) n ON CONFLICT DO NOTHING",
                       [point.pk, datetime.now(TASHKENT).date()])
        for table in tables:
            cursor.execute(f"ANALYZE {table}")  # noqa: S608 (a fixed name)


def explain(title: str, statement: str, params=()) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, params)
        plan = [row[0] for row in cursor.fetchall()]
        transaction.set_rollback(True)  # an INSERT or UPDATE explained leaves nothing
    touched = sorted({name for line in plan if "never executed" not in line
                      for name in re.findall(r" on (\w+_(?:\d{6}|default))\b", line)})
    print(f"\n== {title}\n   partitions read: {', '.join(touched) or 'none'}")
    for line in plan:
        print("   " + line)


def queryset_sql(queryset):
    from django.db import transaction

    with transaction.atomic():  # select_for_update compiles inside a transaction only
        return queryset.query.sql_with_params()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--audit-per-month", type=int, default=100_000)
    parser.add_argument("--events-per-month", type=int, default=50_000)
    parser.add_argument("--dispensings-per-month", type=int, default=20_000)
    parser.add_argument("--tickets-per-month", type=int, default=20_000)
    options = parser.parse_args()
    setup_django()
    ensure_world(1)

    from django.db.models import Q

    from dmed.models import AuditEvent
    from dmed.partitions import add_months
    from outbox.models import Delivery, DeliveryStatus, Event
    from prescriptions.models import Dispensing
    from queues.models import ServicePoint, Ticket
    from registry.models import Facility

    months = months_back(options.months)
    home = Facility.objects.get(code="TSH-CHL-P12")
    point, _ = ServicePoint.objects.get_or_create(
        facility=home, ticket_prefix="B", defaults={"kind": "registration", "name": "Bench"})
    fill(months, {"dmed_auditevent": options.audit_per_month,
                  "outbox_event": options.events_per_month,
                  "prescriptions_dispensing": options.dispensings_per_month,
                  "queue_ticket": options.tickets_per_month}, point)

    middle = months[len(months) // 2]
    start = datetime(middle.year, middle.month, 1, tzinfo=TASHKENT)
    end_month = add_months(middle, 2)
    end = datetime(end_month.year, end_month.month, 1, tzinfo=TASHKENT)
    print(f"\n{len(months)} months ({months[0]:%Y-%m} to {months[-1]:%Y-%m}); "
          f"{AuditEvent.objects.count():,} audit rows, {Event.objects.count():,} events, "
          f"{Dispensing.objects.count():,} dispensings, {Ticket.objects.count():,} tickets")

    explain(f"a patient's access log, {start:%Y-%m} to {end:%Y-%m} (two months)",
            *queryset_sql(AuditEvent.objects.filter(
                patient_med_id=PATIENT, allowed=True, occurred_at__gte=start,
                occurred_at__lt=end).order_by("-occurred_at")[:200]))
    explain("the patient's access page (card_access_log: newest 200, no range): no bound "
            "to prune by, so each month's index is entered once (a few pages each)",
            *queryset_sql(AuditEvent.objects.filter(patient_med_id=PATIENT, allowed=True)
                          .exclude(object_type="patients.access_log")
                          .order_by("-occurred_at")[:200]))
    explain("the outbox relay's pending scan (fan_out: events not relayed, any month; each "
            "month's partial index is read, empty ones cost a page)",
            *queryset_sql(Event.objects.filter(relayed_at__isnull=True).order_by("id")
                          .select_for_update(skip_locked=True)[:500]))
    explain("the relay's due deliveries (dispatch_due)",
            *queryset_sql(Delivery.objects.filter(status=DeliveryStatus.PENDING,
                                                  next_attempt_at__lte=datetime.now(TASHKENT))
                          .filter(Q(dispatched_at__isnull=True))
                          .order_by("next_attempt_at").values_list("pk", flat=True)[:500]))
    day = datetime(middle.year, middle.month, 10, tzinfo=TASHKENT)
    explain(f"a day's dispensings ({day:%Y-%m-%d}, as the nightly reconciliation reads)",
            *queryset_sql(Dispensing.objects.filter(dispensed_at__gte=day,
                                                    dispensed_at__lt=day + timedelta(days=1))
                          .values_list("pharmacy_id").order_by()))

    explain_queue(point)


def explain_queue(point) -> None:
    """The queue's statements as the services send them (the writes rolled back)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dmed.models import User
    from queues import selectors, services
    from queues.models import Priority, Ticket

    today = datetime.now(TASHKENT).date()
    ticket = Ticket(service_point=point, day=today, prefix="B", priority=Priority.NORMAL,
                    queued_for=datetime.now(TASHKENT))
    desk = User.objects.get(username="doctor")
    statements = []

    def capture(execute, sql, params, many, context):
        statements.append((sql, params))
        raise Rollback

    with connection.execute_wrapper(capture):
        for run in (lambda: services._insert_numbered(ticket),
                    lambda: services._take_head_of_line(desk, point, today, "1")):
            try:
                run()
            except Rollback:
                pass
    issue, call_next = statements
    explain(f"issuing a ticket at a point ({today}): the counter upserted, the ticket "
            "routed to its month as it is written (EXPLAIN names no partition for that)",
            *issue)
    explain("call next (the head of today's line, FOR UPDATE SKIP LOCKED, updated)",
            *call_next)
    explain(f"the desk's waiting line (selectors.waiting_line, {today})",
            *queryset_sql(selectors.waiting_line(point, today)))
    with CaptureQueriesContext(connection) as queries:
        selectors.average_service_time(point)
    explain("the wait estimate (selectors.average_service_time: the newest completed, no "
            "bound on the day, so each month's partial index is entered once)",
            queries[0]["sql"])


class Rollback(Exception):
    """Stops a captured statement before it runs."""


if __name__ == "__main__":
    main()

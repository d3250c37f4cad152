"""Month partitions at work: fills months of audit rows, outbox events and deliveries and
dispensings, then prints the EXPLAIN (ANALYZE) of the queries that read them, with the
partitions each one touched.

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


def fill(months: list[date], audit_per_month: int, events_per_month: int,
         dispensings_per_month: int) -> None:
    from django.db import connection

    from dmed.models import User
    from prescriptions.models import Prescription
    from registry.models import Facility, FacilityKind

    doctor = User.objects.get(username="doctor")
    pharmacy = Facility.objects.filter(kind=FacilityKind.PHARMACY).first()
    prescription = Prescription.objects.first()
    with connection.cursor() as cursor:
        for month in months:
            cursor.execute("SELECT dmed_month_partition(%s, %s)", ["dmed_auditevent", month])
            for table in ("outbox_event", "outbox_delivery", "prescriptions_dispensing"):
                cursor.execute("SELECT dmed_month_partition(%s, %s)", [table, month])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for month in months:
            start = datetime(month.year, month.month, 1, tzinfo=TASHKENT)
            seconds = 27 * 86400
            cursor.execute("SELECT count(*) FROM dmed_auditevent WHERE occurred_at >= %s "
                           "AND occurred_at < %s + interval '1 month'", [start, start])
            missing = audit_per_month - cursor.fetchone()[0]
            if missing > 0:
                began = time.perf_counter()
                # One patient in a thousand rows is the bench patient; the rest are spread.
                cursor.execute(
                    "INSERT INTO dmed_auditevent (occurred_at, actor_id, actor_role, "
                    "facility_code, action, object_type, object_id, patient_med_id, reason, "
                    "allowed, break_glass, user_agent) "
                    "SELECT %s::timestamptz + (n::float8 * %s / %s) * interval '1 second', %s, "
                    "'clinician', 'TSH-CHL-P12', 'view', 'patients.card', n::text, "
                    "CASE WHEN n %% 1000 = 0 THEN %s ELSE (1000000000 + n %% 500000)::text END,"
                    " '', true, false, 'bench' FROM generate_series(1, %s) n",
                    [start, seconds, missing, doctor.pk, PATIENT, missing])
                print(f"audit {month:%Y-%m}: {missing} rows, "
                      f"{missing / (time.perf_counter() - began):,.0f} rows/s (chain trigger)")
            cursor.execute("SELECT count(*) FROM outbox_event WHERE created_at >= %s "
                           "AND created_at < %s + interval '1 month'", [start, start])
            missing = events_per_month - cursor.fetchone()[0]
            if missing > 0:
                cursor.execute(
                    "WITH made AS (INSERT INTO outbox_event (uuid, kind, payload, created_at, "
                    "relayed_at) SELECT gen_random_uuid(), 'prescription.issued', '{}', "
                    "%s::timestamptz + (n::float8 * %s / %s) * interval '1 second', "
                    "%s::timestamptz + (n::float8 * %s / %s) * interval '1 second' "
                    "FROM generate_series(1, %s) n RETURNING id, created_at) "
                    "INSERT INTO outbox_delivery (event_id, event_created_at, consumer, target, "
                    "status, attempts, next_attempt_at, last_error, created_at, finished_at) "
                    "SELECT id, created_at, 'notifications', '', 'done', 1, created_at, '', "
                    "created_at, created_at FROM made",
                    [start, seconds, missing, start, seconds, missing, missing])
                print(f"outbox {month:%Y-%m}: {missing} events and deliveries")
            cursor.execute("SELECT count(*) FROM prescriptions_dispensing WHERE dispensed_at >= %s"
                           " AND dispensed_at < %s + interval '1 month'", [start, start])
            missing = dispensings_per_month - cursor.fetchone()[0]
            if missing > 0:
                cursor.execute(
                    "INSERT INTO prescriptions_dispensing (public_id, prescription_id, "
                    "pharmacy_id, pharmacist_id, idempotency_key, request_digest, "
                    "identity_document, status_after, dispensed_at) "
                    "SELECT gen_random_uuid(), %s, %s, %s, '', '', '', 'dispensed', "
                    "%s::timestamptz + (n::float8 * %s / %s) * interval '1 second' "
                    "FROM generate_series(1, %s) n",
                    [prescription.pk, pharmacy.pk, doctor.pk, start, seconds, missing, missing])
                print(f"dispensings {month:%Y-%m}: {missing}")
        # The relay's work of the moment: a few events not relayed yet, this month.
        cursor.execute("SELECT count(*) FROM outbox_event WHERE relayed_at IS NULL")
        if not cursor.fetchone()[0]:
            cursor.execute("INSERT INTO outbox_event (uuid, kind, payload, created_at) "
                           "SELECT gen_random_uuid(), 'prescription.issued', '{}', now() "
                           "FROM generate_series(1, 20)")
        for table in ("dmed_auditevent", "outbox_event", "outbox_delivery",
                      "prescriptions_dispensing"):
            cursor.execute(f"ANALYZE {table}")  # noqa: S608 (a fixed name)


def explain(title: str, statement: str, params=()) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, params)
        plan = [row[0] for row in cursor.fetchall()]
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
    options = parser.parse_args()
    setup_django()
    ensure_world(1)

    from django.db.models import Q

    from dmed.models import AuditEvent
    from dmed.partitions import add_months
    from outbox.models import Delivery, DeliveryStatus, Event
    from prescriptions.models import Dispensing

    months = months_back(options.months)
    fill(months, options.audit_per_month, options.events_per_month,
         options.dispensings_per_month)

    middle = months[len(months) // 2]
    start = datetime(middle.year, middle.month, 1, tzinfo=TASHKENT)
    end_month = add_months(middle, 2)
    end = datetime(end_month.year, end_month.month, 1, tzinfo=TASHKENT)
    print(f"\n{len(months)} months ({months[0]:%Y-%m} to {months[-1]:%Y-%m}); "
          f"{AuditEvent.objects.count():,} audit rows, {Event.objects.count():,} events, "
          f"{Dispensing.objects.count():,} dispensings")

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


if __name__ == "__main__":
    main()

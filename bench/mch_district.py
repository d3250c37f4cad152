"""How the family doctor's district list holds up with 100,000 children in one polyclinic.

    DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/dmed_bench_mch \\
        .venv/bin/python bench/mch_district.py --children 100000

Works in its own database (created and migrated when missing; the name must contain
"bench"), seeds the demo world once, and fills the polyclinic BENCH-MCH with --children
cards aged 0 to 17 (`manage.py generate_patients`, birth dates then spread over
childhood), all in the district of one family doctor, with the vaccinations the calendar
gives them by their age (a quarter of them weeks or months late). It stores every
child's next dose through the daily refresh (`mch.schedules.refresh_stale`, timed), then
times --reads requests of the district page (`/district/`, through Django's test client:
session, middleware, selector, audit rows, template) as the doctor and as the
polyclinic's nurse, each the first page and a filtered one, and prints the median and p95
in milliseconds, the query count, and the EXPLAIN (ANALYZE, BUFFERS) plan of the list's
slowest query. It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from patients_lookup import ensure_world, setup_django  # noqa: E402

POLYCLINIC = "BENCH-MCH"
CHILDHOOD_DAYS = 17 * 365
WARM_UP = 5


def ensure_polyclinic():
    from dmed.models import User
    from dmed.roles import Role
    from registry.models import Facility, FacilityKind, StaffRecord

    home = Facility.objects.get(code="TSH-CHL-P12")
    facility, _ = Facility.objects.get_or_create(
        code=POLYCLINIC, defaults={"kind": FacilityKind.POLYCLINIC,
                                   "name": "Bolalar poliklinikasi (bench)",
                                   "tax_id": "209999999", "region": home.region,
                                   "district": home.district, "address": home.address})
    staff = {}
    for role, username in ((Role.CLINICIAN, "bench-mch-doctor"),
                           (Role.NURSE, "bench-mch-nurse")):
        user, _created = User.objects.get_or_create(
            username=username, defaults={"role": role, "last_name": "Bench",
                                         "first_name": str(role.label)})
        StaffRecord.objects.get_or_create(user=user, facility=facility, role=role,
                                          defaults={"active_from": date(2020, 1, 1)})
        staff[role] = user
    return facility, staff[Role.CLINICIAN], staff[Role.NURSE]


def fill(facility, doctor, children: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from mch import schedules
    from mch.models import AntenatalContact, Pregnancy
    from patients.models import PatientCard

    have = PatientCard.objects.filter(attached_facility=facility).count()
    if have >= children:
        print(f"{have:,} children already in {POLYCLINIC}")
        return
    print(f"{have:,} children in {POLYCLINIC}, adding {children - have:,}…")
    started = time.perf_counter()
    call_command("generate_patients", children - have, facility=[POLYCLINIC], batch=20_000)
    with transaction.atomic(), connection.cursor() as cursor:
        # Children of every age up to 17, spread evenly; a PINFL carries the birth date,
        # so the generated ones go (a newborn's card often has none yet).
        # One woman in thirty-three stays an adult: the pregnant women of the district.
        cursor.execute(
            "UPDATE patients_patientcard SET family_doctor_id = %s, pinfl = '', "
            "birth_date = CASE WHEN sex = 'female' AND abs(hashtext(med_id || 'mother')) "
            "  %% 33 = 0 THEN birth_date "
            "  ELSE current_date - (abs(hashtext(med_id)) %% %s) END "
            "WHERE attached_facility_id = %s AND family_doctor_id IS NULL",
            [doctor.pk, CHILDHOOD_DAYS, facility.pk])
        cursor.execute(
            "INSERT INTO mch_pregnancy (card_id, dating_method, lmp, edd, gravidity, parity, "
            "risk_group, registered_by_id, registered_at_id, created_at, outcome) "
            "SELECT c.id, 'lmp', current_date - g.days, current_date - g.days + 280, 2, 1, "
            "(ARRAY['low', 'medium', 'high'])[1 + abs(hashtext(c.med_id || 'risk')) %% 3], "
            "%s, %s, now(), '' FROM patients_patientcard c "
            "CROSS JOIN LATERAL (SELECT 35 + abs(hashtext(c.med_id || 'weeks')) %% 240 "
            "  AS days) g "
            "WHERE c.attached_facility_id = %s AND c.birth_date < current_date - 7000 "
            "AND NOT EXISTS (SELECT 1 FROM mch_pregnancy p WHERE p.card_id = c.id)",
            [doctor.pk, facility.pk, facility.pk])
        print(f"  {cursor.rowcount:,} pregnancies")
        contacts = list(AntenatalContact.objects.all())
        pregnancies = list(Pregnancy.objects.filter(card__attached_facility=facility,
                                                    outcome="", next_contact=None))
        for pregnancy in pregnancies:
            schedules.next_contact(pregnancy, contacts)
        Pregnancy.objects.bulk_update(pregnancies, ["next_contact", "next_contact_closes_on"],
                                      batch_size=2000)
        # The calendar's doses each child has had by its age: three in four on time,
        # the others 1 to 200 days behind (so some doses are due, some overdue).
        cursor.execute(
            "INSERT INTO mch_vaccination (card_id, dose_id, lot_number, expiry_date, site, "
            "route, given_on, given_by_id, facility_id, recorded_at) "
            "SELECT c.id, d.id, 'BENCH', c.birth_date + d.min_age_days + 400, 'left_thigh', "
            "'im', c.birth_date + d.min_age_days + lag.days, %s, %s, now() "
            "FROM patients_patientcard c "
            "CROSS JOIN LATERAL (SELECT CASE WHEN abs(hashtext(c.med_id || 'lag')) %% 4 = 0 "
            "  THEN 1 + abs(hashtext(c.med_id || 'days')) %% 200 ELSE 0 END AS days) lag "
            "JOIN mch_calendardose d ON c.birth_date + d.min_age_days + lag.days "
            "  <= current_date AND (d.sex = '' OR d.sex = c.sex) "
            "WHERE c.attached_facility_id = %s "
            "AND NOT EXISTS (SELECT 1 FROM mch_vaccination v WHERE v.card_id = c.id)",
            [doctor.pk, facility.pk, facility.pk])
        print(f"  {cursor.rowcount:,} vaccinations")
    print(f"  filled in {time.perf_counter() - started:.1f} s")


def store_next_doses() -> None:
    from django.db import connection

    from mch.schedules import refresh_stale

    started = time.perf_counter()
    refreshed = refresh_stale()
    took = time.perf_counter() - started
    if refreshed:
        print(f"daily refresh: {refreshed:,} children's next doses stored in {took:.1f} s "
              f"({refreshed / took:,.0f} per second)")
    # What autovacuum gives tables this size: statistics, and the visibility map that
    # lets the counts read the district's index alone.
    with connection.cursor() as cursor:
        for table in ("patients_patientcard", "mch_immunisationstatus", "mch_pregnancy"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def time_page(user, params: dict, reads: int, url: str = "/district/",
              ) -> tuple[list[float], int, list]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    timings = []
    for index in range(reads + WARM_UP):
        started = time.perf_counter()
        response = client.get(url, params)
        if index >= WARM_UP:
            timings.append((time.perf_counter() - started) * 1000)
    assert response.status_code == 200, response.status_code  # noqa: S101 — a broken page times nothing
    with CaptureQueriesContext(connection) as queries:
        client.get(url, params)
    return timings, len(queries), queries.captured_queries


def explain(captured: list) -> str:
    from django.db import connection

    slowest = max((q for q in captured if "mch_" in q["sql"]), key=lambda q: float(q["time"]))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--reads", type=int, default=50)
    args = parser.parse_args()

    setup_django()
    ensure_world(1)
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    facility, doctor, nurse = ensure_polyclinic()
    fill(facility, doctor, args.children)
    store_next_doses()
    from mch.models import ImmunisationStatus

    print(f"stored next doses in {POLYCLINIC}: "
          f"{ImmunisationStatus.objects.filter(card__attached_facility=facility).count():,}")
    # The floor on this machine now (shared, so figures move with its load): a signed-in
    # page through the same client, session and middleware that reads one row.
    floor, _count, _captured = time_page(doctor, {}, args.reads, url="/healthz")
    print(f"\nfloor (/healthz, same client): median {statistics.median(floor):.1f} ms")
    for who, user in (("family doctor", doctor), ("nurse (whole polyclinic)", nurse)):
        for label, params in (("first page", {}),
                              ("high-risk pregnancies, overdue contact", {
                                  "risk": "high", "overdue_only": "on"})):
            timings, count, captured = time_page(user, params, args.reads)
            p95 = statistics.quantiles(timings, n=20)[18]
            print(f"\n{who}, {label}: median {statistics.median(timings):.1f} ms, "
                  f"p95 {p95:.1f} ms, {count} queries ({len(timings)} reads)")
            for query in sorted(captured, key=lambda q: -float(q["time"]))[:3]:
                print(f"  {float(query['time']) * 1000:6.1f} ms  {query['sql'][:110]}")
    print("\nslowest list query of the last read:")
    print(explain(captured))


if __name__ == "__main__":
    main()

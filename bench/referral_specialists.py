"""How the referral form's specialist search holds up with the country's specialists.

    DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/dmed_bench \\
        .venv/bin/python bench/referral_specialists.py --specialists 100000

Works in its own database (created and migrated when missing; the name must contain
"bench"), seeds the demo world once, and tops the specialists up to --specialists
clinicians with a specialty, spread over --hospitals hospitals in every region (Tashkent
city holds a third, as it does). Then it times --searches searches of each kind through
`clinics.referrals.selectors.specialists_matching` as the demo `doctor` (what the page and
the API run on each keystroke), prints median and p95 in milliseconds and the
EXPLAIN (ANALYZE, BUFFERS) plan of one search of each kind. It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from patients_lookup import ensure_world, setup_django  # noqa: E402

SPECIALTIES = ("Kardiolog", "Nevrolog", "Endokrinolog", "Terapevt", "Pediatr", "Jarroh",
               "Oftalmolog", "Otorinolaringolog", "Urolog", "Ginekolog", "Dermatolog",
               "Gastroenterolog", "Pulmonolog", "Nefrolog", "Revmatolog", "Onkolog",
               "Psixiatr", "Travmatolog", "Infeksionist", "Gematolog")
WARM_UP = 10


def ensure_hospitals(count: int) -> list:
    from registry.models import Facility, FacilityKind, Region

    regions = list(Region.objects.prefetch_related("districts").order_by("code"))
    capital = next(region for region in regions if region.code == "1726")
    hospitals = []
    for number in range(count):
        # A third of the hospitals in Tashkent city, the rest round the regions.
        region = capital if number % 3 == 0 else regions[number % len(regions)]
        facility, _ = Facility.objects.get_or_create(
            code=f"BENCH-H{number:04d}",
            defaults={"kind": FacilityKind.HOSPITAL, "name": f"{number}-sonli shifoxona",
                      "tax_id": f"{309_000_000 + number}", "region": region,
                      "district": region.districts.first(), "address": "—"})
        hospitals.append(facility)
    return hospitals


def top_up(specialists: int, hospitals: list[int], batch: int = 5000) -> None:
    from django.db import transaction

    from dmed.models import User
    from dmed.roles import Role
    from patients.management.commands.generate_patients import (
        FEMALE_NAMES,
        MALE_NAMES,
        SURNAMES,
    )
    from registry.models import StaffRecord

    have = StaffRecord.objects.filter(role=Role.CLINICIAN).exclude(specialty="").count()
    if have >= specialists:
        print(f"{have:,} specialists already there")
        return
    print(f"{have:,} specialists there, adding {specialists - have:,}…")
    rng = random.Random(have)
    started = time.perf_counter()
    for offset in range(have, specialists, batch):
        size = min(batch, specialists - offset)
        with transaction.atomic():
            users = User.objects.bulk_create([
                User(username=f"bench-specialist-{offset + i}", role=Role.CLINICIAN,
                     last_name=rng.choice(SURNAMES),
                     first_name=rng.choice(MALE_NAMES + FEMALE_NAMES))
                for i in range(size)])
            records = [StaffRecord(user=user, facility=rng.choice(hospitals),
                                   role=Role.CLINICIAN, specialty=rng.choice(SPECIALTIES),
                                   active_from=date(2020, 1, 1)) for user in users]
            for record in records:  # bulk_create skips save(), which folds this
                record.search_text = record.folded_for_search()
            StaffRecord.objects.bulk_create(records)
    print(f"  {specialists - have:,} in {time.perf_counter() - started:.1f} s")


def analyze() -> None:
    """Fresh statistics, as autovacuum would give a table this size: without them the
    planner takes the trigram match for a single row and plans for that."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE clinics_staffrecord")


def time_searches(doctor, searches: list[str]) -> tuple[list[float], str]:
    from clinics.referrals.selectors import specialists_matching

    timings = []
    for index, text in enumerate(searches):
        started = time.perf_counter()
        specialists_matching(doctor, text)
        if index >= WARM_UP:
            timings.append((time.perf_counter() - started) * 1000)
    return timings, searches[len(searches) // 2]


def explain(doctor, text: str) -> str:
    from django.db import connection

    from clinics.referrals import selectors

    captured = []
    with connection.execute_wrapper(lambda execute, sql, params, many, context:
                                    captured.append((sql, params)) or
                                    execute(sql, params, many, context)):
        selectors.specialists_matching(doctor, text)
    sql, params = captured[-1]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--specialists", type=int, default=100_000)
    parser.add_argument("--hospitals", type=int, default=300)
    parser.add_argument("--searches", type=int, default=200)
    args = parser.parse_args()

    setup_django()
    ensure_world(1)
    from dmed.models import User
    from patients.management.commands.generate_patients import SURNAMES

    top_up(args.specialists, ensure_hospitals(args.hospitals))
    analyze()
    doctor = User.objects.get(username="doctor")
    rng = random.Random(7)
    n = args.searches + WARM_UP
    kinds = {
        "nothing typed (whom the doctor referred to lately)": [""] * n,
        "a specialty prefix ('kardio')": [rng.choice(SPECIALTIES)[:6].lower()
                                          for _ in range(n)],
        "a surname": [rng.choice(SURNAMES) for _ in range(n)],
        "specialty and facility words": [f"{rng.choice(SPECIALTIES)[:5]} shifoxona"
                                         for _ in range(n)],
        "three letters": [rng.choice(SURNAMES)[:3] for _ in range(n)],
    }
    for kind, searches in kinds.items():
        timings, typical = time_searches(doctor, searches)
        p95 = statistics.quantiles(timings, n=20)[18]
        print(f"\n{kind}: median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms "
              f"({len(timings)} searches)")
        print(explain(doctor, typical))


if __name__ == "__main__":
    main()

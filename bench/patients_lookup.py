"""How card lookups hold up as cards grow: by MED-ID, by PINFL and by name.

    DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/dmed_bench \\
        .venv/bin/python bench/patients_lookup.py --cards 1000000

Works in its own database (created and migrated when missing; the name must contain
"bench"), seeds the demo world once, adds polyclinics so the demo doctor's polyclinic
holds about 1/--polyclinics of the cards, and tops the cards up to --cards with
`manage.py generate_patients`. Then it times --lookups random lookups of each kind through
the code the portal runs (`patients.selectors.search_cards`, `patients.access.card_for`,
each writing its audit row), prints median and p95 in milliseconds, and the
EXPLAIN (ANALYZE, BUFFERS) plan of the query of a lookup near the median of each kind.
It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/dmed_bench"
HOME_POLYCLINIC = "TSH-CHL-P12"  # the demo doctor's, from clinics/demo.py
WARM_UP = 10  # lookups of each kind run first and not counted


def memory_kb(pid: int, field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def ensure_database(url: str) -> None:
    """Create the benchmark database through the `postgres` maintenance database."""
    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    if "bench" not in name:
        sys.exit(f"Refusing to fill {name!r} with cards: use a database named *bench*.")
    conninfo = psycopg.conninfo.make_conninfo(
        host=parts.hostname, port=parts.port, dbname="postgres",
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def setup_django() -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dmed.settings")
    sys.path.insert(0, str(ROOT))
    ensure_database(os.environ["DATABASE_URL"])
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def ensure_world(polyclinics: int) -> list[str]:
    """The demo world plus enough polyclinics; returns the codes cards are spread over."""
    from django.conf import settings
    from django.core.management import call_command

    from dmed.models import User
    from registry.models import Facility, FacilityKind

    if not (Facility.objects.filter(code=HOME_POLYCLINIC).exists()
            and User.objects.filter(username__in=["doctor", "admin"]).count() == 2):
        settings.DEMO_PASSWORD = secrets.token_urlsafe(24)  # nobody signs in here
        call_command("seed_demo", verbosity=0)
    home = Facility.objects.get(code=HOME_POLYCLINIC)
    codes = [home.code]
    for number in range(1, polyclinics):
        facility, _ = Facility.objects.get_or_create(
            code=f"BENCH-P{number:03d}",
            defaults={"kind": FacilityKind.POLYCLINIC, "name": f"{number}-sonli poliklinika",
                      "tax_id": f"{209_000_000 + number}", "region": home.region,
                      "district": home.district, "address": home.address},
        )
        codes.append(facility.code)
    return codes


def top_up(cards: int, codes: list[str], batch: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM patients_patientcard")
        have = cursor.fetchone()[0]
    if have >= cards:
        print(f"{have:,} cards already there: nothing to generate")
        return
    print(f"{have:,} cards there, generating {cards - have:,} over {len(codes)} polyclinics…")
    call_command("generate_patients", cards - have, facility=codes, batch=batch)


def sample(n: int, *, facility_id: int | None = None, elsewhere: bool = False) -> list[tuple]:
    """~n random existing cards: (med_id, pinfl, last_name, first_name, middle_name), of
    the facility, or (elsewhere=True) of any other.

    TABLESAMPLE SYSTEM reads a random few percent of the table's pages instead of all of
    it; ORDER BY random() then spreads the picks over those pages.
    """
    from django.db import connection

    where = "status = 'active'" + (
        "" if not facility_id else
        " AND attached_facility_id <> %s" if elsewhere else " AND attached_facility_id = %s")
    params = [facility_id] if facility_id else []
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'patients_patientcard'")
        rows_estimate = max(cursor.fetchone()[0], 1)
        percent = min(100.0, 100.0 * 50 * n / rows_estimate)
        while True:
            cursor.execute(
                "SELECT med_id, pinfl, last_name, first_name, middle_name "  # noqa: S608
                "FROM patients_patientcard "
                f"TABLESAMPLE SYSTEM (%s) WHERE {where} ORDER BY random() LIMIT %s",
                [percent, *params, n],
            )
            rows = cursor.fetchall()
            if len(rows) >= n or percent >= 100:
                return rows
            percent = min(100.0, percent * 4)


def measure(lookup: Callable[[str], int], values: list[str]) -> tuple[list[float], int, str]:
    """Time lookup(value) for each value; returns ms per lookup, hits, the median's value."""
    for value in values[:WARM_UP]:
        lookup(value)
    timings, hits = [], 0
    for value in values:
        started = time.perf_counter()
        hits += lookup(value) > 0
        timings.append(((time.perf_counter() - started) * 1000, value))
    ordered = sorted(timings)
    return [ms for ms, _ in timings], hits, ordered[len(ordered) // 2][1]


def explain(lookup: Callable[[str], int], value: str) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of every card query a lookup runs, exactly as it ran
    (the prefix page, the candidate words and the fuzzy page of a name that needs them)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    # The query log is a deque of 9,000: once full, a capture sees nothing new.
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        lookup(value)
    queries = [q["sql"] for q in captured.captured_queries
               if q["sql"].lstrip().startswith("SELECT")
               and ("patients_patientcard" in q["sql"] or "patients_nameword" in q["sql"])]
    lines = []
    with connection.cursor() as cursor:
        for number, query in enumerate(queries, 1):
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query}")
            lines += [f"-- query {number} of {len(queries)}"]
            lines += [line for (line,) in cursor.fetchall()]
    return lines


# One letter changed at the end of each word: "Karimov Aziz" -> "Karimof Azis".
TYPO = str.maketrans({"v": "f", "z": "s", "s": "z", "a": "o", "o": "a", "r": "l", "d": "t",
                      "t": "d", "n": "m", "m": "n", "h": "x", "x": "h", "l": "r", "b": "p",
                      "в": "ф", "з": "с", "с": "з", "а": "о", "о": "а", "р": "л", "д": "т",
                      "т": "д", "н": "м", "м": "н", "л": "р", "б": "п", "х": "ҳ"})


def typo(name: str) -> str:
    return " ".join(word[:-1] + (word[-1].translate(TYPO) if word[-1].translate(TYPO)
                                 != word[-1] else "e") for word in name.split())


def nobodys_name(rng) -> str:
    """A name no card holds: two made-up words."""
    def word():
        return "".join(rng.choice("bdgklmnprstvz") + rng.choice("aeiou")
                       for _ in range(3)).capitalize()
    return f"{word()}ov {word()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=1_000_000)
    parser.add_argument("--polyclinics", type=int, default=30,
                        help="polyclinics the cards are spread over, the doctor's included")
    parser.add_argument("--lookups", type=int, default=300, help="timed lookups per kind")
    parser.add_argument("--batch", type=int, default=50_000, help="generate_patients --batch")
    parser.add_argument("--only", default="",
                        help="comma-separated words: time only the kinds whose title has one")
    parser.add_argument("--no-top-up", action="store_true",
                        help="time the cards there, whatever their number")
    args = parser.parse_args()

    setup_django()
    from dmed.models import User
    from patients.access import card_for
    from patients.models import PatientCard
    from patients.selectors import search_cards
    from registry.models import Facility

    codes = ensure_world(args.polyclinics)
    if not args.no_top_up:
        top_up(args.cards, codes, args.batch)

    doctor = User.objects.get(username="doctor")
    admin = User.objects.get(username="admin")
    home_id = Facility.objects.get(code=HOME_POLYCLINIC).pk
    # The doctor looks up cards of their own polyclinic; the administrator, any card.
    home_cards = sample(args.lookups, facility_id=home_id)
    any_cards = sample(args.lookups)
    elsewhere = sample(args.lookups, facility_id=home_id, elsewhere=True)
    rng = random.Random(17)  # noqa: S311 (made-up names, not a secret)
    total = PatientCard.objects.count()
    print(f"\n{total:,} cards; {PatientCard.objects.filter(attached_facility_id=home_id).count():,}"
          f" at the doctor's polyclinic; {args.lookups} lookups of each kind "
          f"(after {WARM_UP} not counted)\n")

    kinds = [
        ("MED-ID, ORM get (the floor)", [c[0] for c in any_cards],
         lambda v: PatientCard.objects.filter(med_id=v).first() is not None),
        ("MED-ID, card_for as doctor", [c[0] for c in home_cards],
         lambda v: card_for(doctor, v).card is not None),
        ("MED-ID, search_cards as doctor", [c[0] for c in home_cards],
         lambda v: len(search_cards(doctor, query=v).results)),
        ("PINFL, search_cards as doctor", [c[1] for c in home_cards if c[1]],
         lambda v: len(search_cards(doctor, query=v).results)),
        ("name, search_cards as doctor (scoped)", [f"{c[2]} {c[3]}" for c in home_cards],
         lambda v: len(search_cards(doctor, query=v).results)),
        ("name, search_cards as admin (all cards)", [f"{c[2]} {c[3]}" for c in any_cards],
         lambda v: len(search_cards(admin, query=v).results)),
        ("surname alone, doctor", [c[2] for c in home_cards],
         lambda v: len(search_cards(doctor, query=v).results)),
        ("surname alone, admin", [c[2] for c in any_cards],
         lambda v: len(search_cards(admin, query=v).results)),
        ("typo (Karimof Azis), doctor", [typo(f"{c[2]} {c[3]}") for c in home_cards],
         lambda v: len(search_cards(doctor, query=v).results)),
        ("typo (Karimof Azis), admin", [typo(f"{c[2]} {c[3]}") for c in any_cards],
         lambda v: len(search_cards(admin, query=v).results)),
        ("given name first, doctor", [f"{c[3]} {c[2]}" for c in home_cards],
         lambda v: len(search_cards(doctor, query=v).results)),
        ("given name first, admin", [f"{c[3]} {c[2]}" for c in any_cards],
         lambda v: len(search_cards(admin, query=v).results)),
        ("full name held elsewhere, doctor", [f"{c[2]} {c[3]} {c[4]}" for c in elsewhere],
         lambda v: len(search_cards(doctor, query=v).results)),
        ("typo of a name held elsewhere, doctor",
         [typo(f"{c[2]} {c[3]} {c[4]}") for c in elsewhere],
         lambda v: len(search_cards(doctor, query=v).results)),
        ("name nobody has, doctor", [nobodys_name(rng) for _ in range(args.lookups)],
         lambda v: len(search_cards(doctor, query=v).results)),
        ("name nobody has, admin", [nobodys_name(rng) for _ in range(args.lookups)],
         lambda v: len(search_cards(admin, query=v).results)),
    ]
    only = {word.strip().lower() for word in args.only.split(",")} if args.only else None
    if only:
        kinds = [kind for kind in kinds if any(word in kind[0].lower() for word in only)]
    print(f"{'lookup':42} {'found':>9} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    plans = []
    for title, values, lookup in kinds:
        timings, hits, median_value = measure(lookup, values)
        p95 = statistics.quantiles(timings, n=20)[18]
        print(f"{title:42} {hits:>4}/{len(values):<4} {statistics.median(timings):>10.2f} "
              f"{p95:>8.2f} {max(timings):>8.2f}", flush=True)
        plans.append((title, median_value, explain(lookup, median_value)))

    for title, value, plan in plans:
        print(f"\n== {title}: {value!r}")
        print("\n".join(plan))
    peak_mb = memory_kb(os.getpid(), "VmHWM") / 1024
    print(f"\npeak resident memory of this process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()

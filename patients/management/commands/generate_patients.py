"""Fill the database with believable synthetic MED-ID cards, fast: for benchmarks and demos.

    manage.py generate_patients 1000000 [--facility CODE ...] [--seed S] [--batch 50000]

How it stays fast and flat in memory
    Rows come from a generator, one batch at a time, and go to PostgreSQL with COPY
    (psycopg 3 ``cursor.copy`` + ``write_row``), never one INSERT per row and never a
    list of all the rows.

How every card stays unique, and the count exact
    Each batch is COPYed into a temporary table, then moved with
    ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` into patients_patientcard, in one
    transaction per batch. ``ON CONFLICT DO NOTHING`` without a target skips a row that
    would break any unique index (the MED-ID, and the partial unique index on PINFL), so
    a clash with a card already there (registered by hand, or by an earlier run) costs
    one row, not the batch; the shortfall is simply generated again in the next batch
    until exactly N new cards exist.

    - MED-IDs are drawn from a seeded ``random.Random`` (9 digits, first not 0, plus the
      Verhoeff check digit, as ``identifiers.new_med_id`` does with ``secrets``), so a
      run is reproducible with --seed; a set of the current batch's numbers keeps a batch
      free of duplicates. The generator is seeded with the seed *and* the table's highest
      id, so running the same --seed again makes new numbers, not the same ones.
    - PINFLs are derived, not drawn: the district code and serial number (digits 8-13)
      come from a counter that starts after the table's highest id, so two generated
      cards can only share a PINFL if they share birth date and sex and their counters
      are a million apart; the rare clash is handled like any other (skipped, replaced).
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import accumulate

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from dmed.translit import latin_to_cyrillic, search_key
from patients.identifiers import pinfl_check_digit, verhoeff_check_digit
from patients.models import CardStatus, Sex
from registry.models import Facility, FacilityKind

MALE_NAMES = (
    "Aziz", "Shohruh", "Jasur", "Bobur", "Sardor", "Javohir", "Sherzod", "Rustam",
    "Alisher", "Bekzod", "Doniyor", "Otabek", "Oybek", "Ulug‘bek", "Farrux", "Akmal",
    "Anvar", "Bahodir", "Jahongir", "Islom", "Sanjar", "Sarvar", "Temur", "Umid", "Zafar",
    "Dilshod", "Nodir", "Ravshan", "Shavkat", "Abdulla", "Muhammad", "Ibrohim", "Hasan",
    "Husan", "Kamol", "Ilhom", "Farhod", "Xurshid", "Eldor", "Jamshid", "Ne’mat", "Musa",
)
FEMALE_NAMES = (
    "Dilnoza", "Malika", "Gulnora", "Nilufar", "Zarina", "Madina", "Mohinur", "Sevara",
    "Shahnoza", "Feruza", "Nodira", "Gulchehra", "Dildora", "Kamola", "Lola", "Mahliyo",
    "Munisa", "Nigora", "Oysha", "Robiya", "Sabina", "Sitora", "Shoira", "Umida", "Yulduz",
    "Zuhra", "Dilfuza", "Gulbahor", "Maftuna", "Mavluda", "Nargiza", "Nasiba", "Ozoda",
    "Barno", "Durdona", "Hulkar", "Iroda", "Komila", "Muqaddas", "Saida", "Go‘zal",
)
# Male forms; a woman's surname adds "a" (Karimov -> Karimova, Ergashev -> Ergasheva).
SURNAMES = (
    "Karimov", "Abdullayev", "Yusupov", "Toshmatov", "Rahimov", "Ergashev", "Qodirov",
    "Tursunov", "G‘ulomov", "Aliyev", "Hasanov", "Xolmatov", "Mirzayev", "Nazarov",
    "Saidov", "Sobirov", "Usmonov", "Jo‘rayev", "Rashidov", "Ismoilov", "Normatov",
    "Islomov", "Umarov", "Yo‘ldoshev", "Xo‘jayev", "Salimov", "Sultonov", "Boboyev",
    "Azimov", "Hamidov", "Qosimov", "Olimov", "Mahmudov", "Murodov", "Nurmatov",
    "Sharipov", "Po‘latov", "Zokirov", "Fayzullayev", "Akbarov", "Valiyev", "Sodiqov",
)
STREETS = (
    "Bunyodkor", "Qatortol", "Muqimiy", "Lutfiy", "Arnasoy", "Navoiy", "Amir Temur",
    "Shota Rustaveli", "Bobur", "Furqat", "Nukus", "Mustaqillik", "Beruniy", "Farg‘ona yo‘li",
    "Olmazor", "Qoratosh", "Cho‘ponota", "Sebzor", "Katta Darxon", "Zarqaynar",
)
# Uzbek mobile operators' codes (Beeline, Ucell, Mobiuz, Uzmobile, Humans, Perfectum).
MOBILE_CODES = ("90", "91", "93", "94", "95", "97", "98", "99", "33", "88", "77", "50")
BLOOD_GROUPS = ("O+", "A+", "B+", "AB+", "O-", "A-", "B-", "AB-")
BLOOD_GROUP_WEIGHTS = (32, 30, 24, 7, 3, 2, 1, 1)
# Relative weight of a birth year: Uzbekistan's population is young.
BIRTH_YEAR_WEIGHTS = ((1930, 1), (1950, 4), (1970, 8), (1990, 11), (2010, 12))
FIRST_BIRTH_YEAR, LAST_BIRTH_YEAR = 1930, 2025

SHARE_WITH_PINFL = 0.90
SHARE_WITH_PHONE = 0.80
SHARE_IN_CYRILLIC = 0.10
SHARE_WITH_STREET = 0.70
SHARE_WITH_BLOOD_GROUP = 0.35

COLUMNS = (
    "med_id", "status", "last_name", "first_name", "middle_name", "search_name",
    "birth_date", "sex", "pinfl", "phone", "street", "blood_group", "identification_notes",
    "emergency_contact_name", "emergency_contact_phone", "registered_at_id",
    "attached_facility_id", "region_id", "district_id", "created_at", "updated_at",
)
STAGING = "generate_patients_staging"
_COLUMN_LIST = ", ".join(COLUMNS)
CREATE_STAGING = (f"CREATE TEMP TABLE {STAGING} AS "  # noqa: S608 (constants only)
                  f"SELECT {_COLUMN_LIST} FROM patients_patientcard WITH NO DATA")
COPY_STAGING = f"COPY {STAGING} ({_COLUMN_LIST}) FROM STDIN"
MOVE_STAGING = (f"INSERT INTO patients_patientcard ({_COLUMN_LIST}) "  # noqa: S608
                f"SELECT {_COLUMN_LIST} FROM {STAGING} ON CONFLICT DO NOTHING")
PINFL_SPREAD = 389_623
# Batches in a row that add nothing before giving up (the MED-ID space would be full).
MAX_EMPTY_BATCHES = 5


@lru_cache(maxsize=1024)
def patronymic(father: str, sex: str) -> str:
    """Rustam -> Rustamovich / Rustamovna; Abdulla -> Abdullayevich / Abdullayevna."""
    stem = father + "y" if father[-1] in "aeiou" else father
    if sex == Sex.MALE:
        return stem + ("evich" if stem.endswith("y") else "ovich")
    return stem + ("evna" if stem.endswith("y") else "ovna")


@lru_cache(maxsize=4096)
def cyrillic(word: str) -> str:
    return latin_to_cyrillic(word)


@lru_cache(maxsize=4096)
def word_key(word: str) -> str:
    return search_key(word)


def name_key(last: str, first: str, middle: str) -> str:
    """search_key("last first middle"): the key folds word by word, so per-word keys joined
    are the same (the tests compare with search_key of the whole name) and cache well."""
    return f"{word_key(last)} {word_key(first)} {word_key(middle)}"


@dataclass(frozen=True)
class Place:
    facility_id: int
    region_id: int | None
    district_id: int | None


class CardMaker:
    """Makes rows of COLUMNS, batch by batch; only one batch's MED-IDs are kept."""

    def __init__(self, rng: random.Random, places: list[Place], *, counter: int):
        self.rng = rng
        self.places = places
        self.counter = counter  # feeds the PINFL district code and serial number
        self.years = list(range(FIRST_BIRTH_YEAR, LAST_BIRTH_YEAR + 1))
        self.year_cum_weights = list(accumulate(
            next(w for start, w in reversed(BIRTH_YEAR_WEIGHTS) if year >= start)
            for year in self.years
        ))
        self.blood_cum_weights = list(accumulate(BLOOD_GROUP_WEIGHTS))
        self.today = timezone.localdate()

    def batch(self, size: int) -> Iterator[tuple]:
        now = timezone.now()
        seen: set[str] = set()
        for _ in range(size):
            med_id = self.med_id()
            while med_id in seen:
                med_id = self.med_id()
            seen.add(med_id)
            yield self.row(med_id, now)

    def med_id(self) -> str:
        payload = str(self.rng.randrange(100_000_000, 1_000_000_000))
        return payload + verhoeff_check_digit(payload)

    def birth_date(self) -> date:
        year = self.rng.choices(self.years, cum_weights=self.year_cum_weights)[0]
        first = date(year, 1, 1).toordinal()
        last = min(date(year, 12, 31), self.today).toordinal()
        return date.fromordinal(self.rng.randint(first, last))

    def pinfl(self, birth_date: date, sex: str) -> str:
        century_digit = (3 if birth_date.year < 2000 else 5) + (sex == Sex.FEMALE)
        # A bijection of the counter mod 10^6 (the multiplier is prime to 10): distinct
        # counters keep distinct digits, but neighbours do not look sequential.
        number = (self.counter * PINFL_SPREAD) % 1_000_000
        district, serial = divmod(number, 1000)
        first13 = (f"{century_digit}{birth_date:%d%m%y}{district:03d}{serial:03d}")
        return first13 + pinfl_check_digit(first13)

    def phone(self) -> str:
        return f"+998{self.rng.choice(MOBILE_CODES)}{self.rng.randrange(10_000_000):07d}"

    def street(self) -> str:
        rng = self.rng
        street = f"{rng.choice(STREETS)} ko‘chasi, {rng.randint(1, 120)}-uy"
        if rng.random() < 0.4:
            street += f", {rng.randint(1, 80)}-xonadon"
        return street

    def row(self, med_id: str, now) -> tuple:
        rng = self.rng
        self.counter += 1
        sex = Sex.MALE if rng.random() < 0.5 else Sex.FEMALE
        first = rng.choice(MALE_NAMES if sex == Sex.MALE else FEMALE_NAMES)
        last = rng.choice(SURNAMES) + ("" if sex == Sex.MALE else "a")
        middle = patronymic(rng.choice(MALE_NAMES), sex)
        if rng.random() < SHARE_IN_CYRILLIC:
            last, first, middle = cyrillic(last), cyrillic(first), cyrillic(middle)
        birth_date = self.birth_date()
        place = rng.choice(self.places)
        return (
            med_id, CardStatus.ACTIVE.value, last, first, middle, name_key(last, first, middle),
            birth_date, sex.value,
            self.pinfl(birth_date, sex) if rng.random() < SHARE_WITH_PINFL else "",
            self.phone() if rng.random() < SHARE_WITH_PHONE else "",
            self.street() if rng.random() < SHARE_WITH_STREET else "",
            (rng.choices(BLOOD_GROUPS, cum_weights=self.blood_cum_weights)[0]
             if rng.random() < SHARE_WITH_BLOOD_GROUP else ""),
            "", "", "",
            place.facility_id, place.facility_id, place.region_id, place.district_id,
            now, now,
        )


class Command(BaseCommand):
    help = ("Add N synthetic MED-ID cards (Uzbek names in Latin and Cyrillic, valid MED-IDs, "
            "PINFLs and phones), attached to polyclinics, with PostgreSQL COPY.")

    def add_arguments(self, parser):
        parser.add_argument("count", type=int, help="how many new cards to add")
        parser.add_argument(
            "--facility", nargs="+", action="extend", default=[], metavar="CODE",
            help="facility codes to attach the cards to (default: every active polyclinic)",
        )
        parser.add_argument("--seed", type=int, default=None,
                            help="seed of the random generator, for a reproducible run")
        parser.add_argument("--batch", type=int, default=50_000,
                            help="cards per COPY and transaction (default 50000)")

    def handle(self, *args, count: int, facility: list[str], seed: int | None, batch: int,
               **options):
        if count < 1:
            raise CommandError("Give a positive number of cards.")
        if not 1 <= batch <= 500_000:
            raise CommandError("--batch is from 1 to 500000.")
        places = self.places(facility)
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM patients_patientcard")
            highest_id = cursor.fetchone()[0]
        seed = secrets.randbits(64) if seed is None else seed
        # Synthetic data, reproducible by --seed: not a secret, so no `secrets` here.
        rng = random.Random(f"{seed}:{highest_id}")  # noqa: S311
        maker = CardMaker(rng, places, counter=highest_id)

        started = time.perf_counter()
        added = self.load(maker, count, batch, verbosity=options["verbosity"])
        elapsed = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE patients_patientcard")
        self.stdout.write(self.style.SUCCESS(
            f"Added {added:,} cards to {len(places)} facilities in {elapsed:.1f} s: "
            f"{added / elapsed:,.0f} cards/s (seed {seed})."
        ))

    def places(self, codes: list[str]) -> list[Place]:
        facilities = Facility.objects.all()
        if codes:
            facilities = facilities.filter(code__in=codes)
        else:
            facilities = facilities.filter(kind=FacilityKind.POLYCLINIC, is_active=True)
        rows = list(facilities.values_list("code", "kind", "id", "region_id", "district_id"))
        if codes:
            missing = sorted(set(codes) - {code for code, *_ in rows})
            if missing:
                raise CommandError(f"No facility with code {', '.join(missing)}.")
            wrong = sorted(code for code, kind, *_ in rows if kind not in (
                FacilityKind.POLYCLINIC, FacilityKind.FAMILY_DOCTOR_POINT))
            if wrong:
                raise CommandError(
                    f"Cards attach to polyclinics and family doctor points, not {', '.join(wrong)}."
                )
        if not rows:
            raise CommandError(
                "No polyclinic to attach cards to: run `manage.py seed_demo` first, "
                "or name facilities with --facility."
            )
        return [Place(pk, region_id, district_id) for _, _, pk, region_id, district_id in rows]

    def load(self, maker: CardMaker, count: int, batch: int, *, verbosity: int) -> int:
        added = 0
        empty_batches = 0
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
            cursor.execute(CREATE_STAGING)
            try:
                while added < count:
                    size = min(batch, count - added)
                    with transaction.atomic():
                        cursor.execute(f"TRUNCATE {STAGING}")
                        # cursor.cursor: the psycopg 3 cursor under Django's wrapper.
                        with cursor.cursor.copy(COPY_STAGING) as copy:
                            for row in maker.batch(size):
                                copy.write_row(row)
                        cursor.execute(MOVE_STAGING)
                        moved = cursor.rowcount
                    added += moved
                    empty_batches = 0 if moved else empty_batches + 1
                    if empty_batches >= MAX_EMPTY_BATCHES:
                        raise CommandError(f"Stopped after {added:,} cards: every new card "
                                           "clashed with an existing MED-ID or PINFL.")
                    if verbosity >= 2:
                        skipped = f" ({size - moved} clashed, made again)" if moved < size else ""
                        self.stdout.write(f"  {added:,} / {count:,}{skipped}")
            finally:
                cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
        return added

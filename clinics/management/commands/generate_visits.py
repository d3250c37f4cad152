"""Years of closed, signed polyclinic visits for existing cards, fast: for benchmarks.

    manage.py generate_visits [--years 3] [--per-year 2.0] [--cards N] [--seed S] [--batch 20000]

What it writes, in the shapes the services write
    For each card (active cards in id order, the first --cards of them), a random number of
    visits over the last --years (on average --per-year a year), each by a clinician with a
    staff record at the card's polyclinic (or, where it has none, at a polyclinic that has
    one), with complaints, vitals inside the database's ranges, one primary diagnosis (and
    sometimes a secondary one) from common ICD-10 codes, closed twelve to forty minutes
    after it opened and sealed with clinics.visits.services.content_digest, the function
    close_visit signs with. Each visit leaves the audit rows its services leave: the card
    read and the visit created when it opened, "Closed and signed" when it closed (the
    audit trigger chains them, by their own day).

How it stays fast and flat in memory
    Cards are read in keyset batches; each batch's rows are generated one batch at a time
    and sent with COPY into temporary tables, then moved by INSERT ... SELECT and one
    UPDATE per batch: the database's rules hold as for any visit (a visit takes diagnoses
    only while open and closes only with a primary one: triggers of clinics 0006), so each
    batch inserts its visits open, adds the diagnoses and closes them. A card's visits are
    written in rounds (its first visit in round one, its second in round two, ...) because
    a clinician holds one open visit with a patient at a time (visit_one_open_per_clinician).

Prescriptions and dispensings of these visits: `manage.py generate_prescriptions` (in
    home, which composes care and prescriptions; care does not import prescriptions).
"""

from __future__ import annotations

import random
import secrets
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from clinics.visits.models import DiagnosisKind, VisitStatus
from clinics.visits.selectors import VISIT_OBJECT
from clinics.visits.services import content_digest
from dmed.bulk import copy_rows, written_summary
from dmed.models import AuditAction
from dmed.roles import Role
from patients.access import CARD_OBJECT
from registry.models import StaffRecord

# Common reasons to see a family doctor, with what the patient says.
REASONS = (
    ("I10", "Bosh og‘rig‘i, ensa sohasida og‘irlik"),
    ("J06.9", "Tomoq og‘rig‘i, burun bitishi, harorat"),
    ("E11.9", "Chanqash, tez-tez siydik ajralishi"),
    ("K29.7", "Qorin yuqori qismida og‘riq, ko‘ngil aynishi"),
    ("M54.5", "Bel sohasida og‘riq"),
    ("J20.9", "Yo‘tal, balg‘am ajralishi"),
    ("D50.9", "Holsizlik, bosh aylanishi, tez charchash"),
    ("N39.0", "Siyganda achishish"),
    ("A09", "Ich ketishi, qorinda sanchiq"),
    ("J45.9", "Nafas qisishi, hushtakli nafas"),
    ("K21.9", "Jig‘ildon qaynashi"),
    ("R51", "Bosh og‘rig‘i"),
)
SECONDARY = ("E66.9", "I25.1", "I10", "E11.9")
SHARE_WITH_SECONDARY = 0.25
EXAMINATION = "Umumiy ahvoli qoniqarli. Teri qoplamalari toza."
HISTORY = "Kasallik bir necha kun oldin boshlangan."

VISIT_COLUMNS = ("id", "public_id", "card_id", "facility_id", "clinician_id", "status",
                 "opened_at", "complaints", "history", "examination", "plan",
                 "recommendations", "bp_systolic", "bp_diastolic", "pulse", "temperature",
                 "spo2", "weight", "height", "content_digest")
DIAGNOSIS_COLUMNS = ("visit_id", "code", "kind", "note")  # the code's column is "code"
AUDIT_COLUMNS = ("occurred_at", "actor_id", "actor_role", "facility_code", "action",
                 "object_type", "object_id", "patient_med_id", "reason", "allowed",
                 "break_glass", "user_agent")
STAGE = "generate_visits_"


@dataclass(frozen=True)
class Clinician:
    user_id: int
    username: str
    facility_id: int
    facility_code: str


def tenths(number: int) -> Decimal:
    """701 -> Decimal("70.1"), 700 -> Decimal("70.0"): spelt as the database reads it back
    (one decimal place), since the signed digest holds the text."""
    return Decimal(number).scaleb(-1).quantize(Decimal("0.1"))


class Command(BaseCommand):
    help = ("Add years of closed, signed visits with diagnoses and their audit rows to "
            "existing cards, with PostgreSQL COPY.")

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, default=3)
        parser.add_argument("--per-year", type=float, default=2.0,
                            help="visits a card has a year, on average (default 2)")
        parser.add_argument("--cards", type=int, default=None,
                            help="only the first N active cards (default: all)")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--batch", type=int, default=20_000, help="cards per transaction")

    def handle(self, *args, years: int, per_year: float, cards: int | None,
               seed: int | None, batch: int, **options):
        if years < 1 or per_year <= 0 or not 1 <= batch <= 200_000:
            raise CommandError("--years >= 1, --per-year > 0, --batch from 1 to 200000.")
        clinicians = self.clinicians()
        seed = secrets.randbits(64) if seed is None else seed
        rng = random.Random(seed)  # noqa: S311 (synthetic data, reproducible by --seed)
        started = time.perf_counter()
        totals: dict[str, int] = defaultdict(int)
        after, done = 0, 0
        while cards is None or done < cards:
            size = batch if cards is None else min(batch, cards - done)
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id, med_id, attached_facility_id FROM patients_patientcard "
                    "WHERE id > %s AND status = 'active' ORDER BY id LIMIT %s", [after, size])
                rows = cursor.fetchall()
            if not rows:
                break
            after, done = rows[-1][0], done + len(rows)
            with transaction.atomic():
                for table, count in self.write_batch(rng, rows, clinicians, years,
                                                     per_year).items():
                    totals[table] += count
            if options["verbosity"] >= 2:
                self.stdout.write(f"  {done:,} cards, {totals['visits']:,} visits")
        self.stdout.write(self.style.SUCCESS(f"{done:,} cards: " + written_summary(
            totals, {"visits": "visits", "diagnoses": "diagnoses", "audit": "audit rows"},
            time.perf_counter() - started, seed)))

    def clinicians(self) -> dict[int | None, list[Clinician]]:
        """Clinicians with an active staff record, by facility; None: every one of them."""
        today = timezone.localdate()
        records = (StaffRecord.objects
                   .filter(role=Role.CLINICIAN, user__is_active=True, active_from__lte=today)
                   .filter(Q(active_to__isnull=True) | Q(active_to__gte=today))
                   .order_by("pk")
                   .values_list("user_id", "user__username", "facility_id", "facility__code"))
        found = [Clinician(*row) for row in records]
        if not found:
            raise CommandError("No clinician with a staff record: run `manage.py seed_demo`.")
        by_facility: dict[int | None, list[Clinician]] = defaultdict(list)
        for clinician in found:
            by_facility[clinician.facility_id].append(clinician)
            by_facility[None].append(clinician)
        return by_facility

    def write_batch(self, rng, cards, clinicians, years: int, per_year: float) -> dict:
        now = timezone.now()
        span = timedelta(days=365 * years)
        rounds: dict[int, list] = defaultdict(list)
        for card_id, med_id, facility_id in cards:
            count = sum(rng.random() < per_year / 12 for _ in range(12 * years))
            for place in range(count):
                staff = clinicians.get(facility_id) or clinicians[None]
                rounds[place].append((card_id, med_id, rng.choice(staff),
                                      now - span * rng.random()))
        counts = {"visits": 0, "diagnoses": 0, "audit": 0}
        with connection.cursor() as cursor:
            for visits in rounds.values():
                for table, count in self.write_round(cursor, rng, visits).items():
                    counts[table] += count
        return counts

    def write_round(self, cursor, rng, visits: list) -> dict:
        """Insert the visits open with their diagnoses, then close and seal them."""
        cursor.execute("SELECT nextval(pg_get_serial_sequence('clinics_visit', 'id')) "
                       "FROM generate_series(1, %s)", [len(visits)])
        ids = [row[0] for row in cursor.fetchall()]
        visit_rows, diagnosis_rows, closing_rows, audit_rows = [], [], [], []
        closed_and_signed = gettext("Closed and signed")
        for visit_id, (card_id, med_id, clinician, opened_at) in zip(ids, visits, strict=True):
            code, complaints = rng.choice(REASONS)
            diagnoses = [SimpleNamespace(kind=DiagnosisKind.PRIMARY.value, code_id=code,
                                         note="")]
            if rng.random() < SHARE_WITH_SECONDARY:
                other = rng.choice([c for c in SECONDARY if c != code])
                diagnoses.append(SimpleNamespace(kind=DiagnosisKind.SECONDARY.value,
                                                 code_id=other, note=""))
            diastolic = rng.randint(60, 100)
            visit = SimpleNamespace(
                id=visit_id, public_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                card=SimpleNamespace(med_id=med_id),
                facility=SimpleNamespace(code=clinician.facility_code),
                clinician=SimpleNamespace(username=clinician.username),
                opened_at=opened_at,
                closed_at=opened_at + timedelta(minutes=rng.randint(12, 40)),
                complaints=complaints, history=HISTORY, examination=EXAMINATION,
                plan="", recommendations="",
                bp_systolic=diastolic + rng.randint(30, 60), bp_diastolic=diastolic,
                pulse=rng.randint(58, 104), temperature=tenths(rng.randint(360, 378)),
                spo2=rng.randint(94, 99), weight=tenths(rng.randint(450, 1100)),
                height=tenths(rng.randint(1500, 1900)),
            )
            visit_rows.append((
                visit_id, visit.public_id, card_id, clinician.facility_id, clinician.user_id,
                VisitStatus.OPEN.value, opened_at, complaints, HISTORY, EXAMINATION, "", "",
                visit.bp_systolic, visit.bp_diastolic, visit.pulse, visit.temperature,
                visit.spo2, visit.weight, visit.height, ""))
            diagnosis_rows += [(visit_id, d.code_id, d.kind, d.note) for d in diagnoses]
            # The digest close_visit signs with, of the visit as the database holds it.
            closing_rows.append((visit_id, visit.closed_at, content_digest(visit, diagnoses)))
            role, code = Role.CLINICIAN.value, clinician.facility_code
            audit_rows += [
                (opened_at, clinician.user_id, role, code, AuditAction.VIEW.value,
                 CARD_OBJECT, med_id, med_id, "", True, False, ""),
                (opened_at, clinician.user_id, role, code, AuditAction.CREATE.value,
                 VISIT_OBJECT, str(visit.public_id), med_id, "", True, False, ""),
                (visit.closed_at, clinician.user_id, role, code, AuditAction.UPDATE.value,
                 VISIT_OBJECT, str(visit.public_id), med_id, closed_and_signed, True, False,
                 ""),
            ]
        copy_rows(cursor, "clinics_visit", VISIT_COLUMNS, visit_rows)
        copy_rows(cursor, "clinics_visitdiagnosis", DIAGNOSIS_COLUMNS, diagnosis_rows)
        stage = f"{STAGE}closing"
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} "
                       "(id bigint, closed_at timestamptz, digest text) ON COMMIT DROP")
        cursor.execute(f"TRUNCATE {stage}")
        copy_rows(cursor, stage, ("id", "closed_at", "digest"), closing_rows)
        cursor.execute(f"UPDATE clinics_visit v SET status = %s, closed_at = s.closed_at, "  # noqa: S608
                       f"content_digest = s.digest FROM {stage} s WHERE v.id = s.id",
                       [VisitStatus.CLOSED.value])
        copy_rows(cursor, "dmed_auditevent", AUDIT_COLUMNS, sorted(audit_rows))
        return {"visits": len(visit_rows), "diagnoses": len(diagnosis_rows),
                "audit": len(audit_rows)}


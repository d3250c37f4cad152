"""Signed e-prescriptions for existing closed visits, and their dispensings: for benchmarks.

    manage.py generate_prescriptions [--share 0.5] [--dispensed 0.8] [--seed S] [--batch 10000]

Run after `manage.py generate_visits`. Visits that have no prescription yet are read in id
order; about --share of them get one (one to three lines of active, non-controlled drugs)
written by the visit's clinician at the visit's facility for its primary diagnosis, issued
when the visit closed. Each is what issue_prescription writes: a code with its check
character, the prescriber's Ed25519 signature over prescriptions.selectors.canonical_content
(by the prescriber's own key, prescriptions.services.prescriber_key), the signed QR
message (qr.claims, qr.sign), and its audit row. About --dispensed of them were given out
in full at a pharmacy by a pharmacist, within three days: the dispensing, its lines, the
items and the prescription settled as _dispense_locked settles them, and the pharmacy's
audit row. The rest stay issued; the nightly expiry task expires those past validity.
The outbox events of those days are not written: they were delivered long ago.

It lives in `home`, the layer that composes apps: it reads care's visits and writes
prescriptions, which neither app may do from the other's side.

Fast and flat: keyset batches, COPY of each batch's rows (ids drawn from the sequences
first, so lines can name their prescription), codes checked against the table before the
COPY (a clash is drawn again).
"""

from __future__ import annotations

import random
import secrets
import time
import uuid
from collections import defaultdict
from datetime import timedelta
from types import SimpleNamespace

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from clinics.visits.models import DiagnosisKind, Visit, VisitDiagnosis, VisitStatus
from dmed.bulk import copy_rows, written_summary
from dmed.models import AuditAction, User
from dmed.roles import Role
from prescriptions import qr, signing
from prescriptions.codes import new_code
from prescriptions.models import (
    ControlledClass,
    Drug,
    ItemStatus,
    Prescription,
    PrescriptionStatus,
)
from prescriptions.selectors import PRESCRIPTION_OBJECT, canonical_content
from prescriptions.services import VALIDITY_DAYS, prescriber_key
from registry.models import FacilityKind, StaffRecord

RX_COLUMNS = ("id", "code", "series_code", "issue_number", "issues_total", "interval_days",
              "chronic", "controlled", "status", "issued_at", "available_from", "valid_until",
              "signature", "cancel_reason", "updated_at", "facility_id", "patient_id",
              "prescriber_id", "signing_key_id", "diagnosis_code", "visit_id", "qr_message")
ITEM_COLUMNS = ("id", "line", "quantity", "dispensed_quantity", "dosage", "route", "frequency",
                "duration_days", "instructions", "status", "status_reason", "drug_id",
                "prescription_id")
DISPENSING_COLUMNS = ("id", "public_id", "idempotency_key", "request_digest",
                      "identity_document", "status_after", "dispensed_at", "pharmacist_id",
                      "pharmacy_id", "prescription_id")
# A line lives in its dispensing's month (prescriptions 0013): it carries its time.
LINE_COLUMNS = ("quantity", "remaining_after", "dispensing_id", "dispensing_dispensed_at",
                "item_id")
AUDIT_COLUMNS = ("occurred_at", "actor_id", "actor_role", "facility_code", "action",
                 "object_type", "object_id", "patient_med_id", "reason", "allowed",
                 "break_glass", "user_agent")
DOSAGES = (("1 tabletka", "og‘iz orqali", "kuniga 2 marta", 10),
           ("1 tabletka", "og‘iz orqali", "kuniga 1 marta", 30),
           ("1 kapsula", "og‘iz orqali", "kuniga 3 marta", 7),
           ("5 ml", "og‘iz orqali", "kuniga 2 marta", 5))


def _ids(cursor, table: str, count: int) -> list[int]:
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                   "FROM generate_series(1, %s)", [table, count])
    return [row[0] for row in cursor.fetchall()]


class Command(BaseCommand):
    help = "Add signed prescriptions to closed visits, and dispensings of most, with COPY."

    def add_arguments(self, parser):
        parser.add_argument("--share", type=float, default=0.5,
                            help="share of visits that get a prescription (default 0.5)")
        parser.add_argument("--dispensed", type=float, default=0.8,
                            help="share of prescriptions dispensed (default 0.8)")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--batch", type=int, default=10_000, help="visits per transaction")

    def handle(self, *args, share: float, dispensed: float, seed: int | None, batch: int,
               **options):
        if not (0 < share <= 1 and 0 <= dispensed <= 1 and 1 <= batch <= 100_000):
            raise CommandError("--share in (0, 1], --dispensed in [0, 1], --batch 1-100000.")
        drugs = list(Drug.objects.filter(is_active=True, controlled_class=ControlledClass.NONE)
                     .order_by("pk"))
        pharmacists = list(StaffRecord.objects.filter(
            role=Role.PHARMACIST, facility__kind=FacilityKind.PHARMACY,
            user__is_active=True).select_related("user", "facility").order_by("pk"))
        if not drugs or not pharmacists:
            raise CommandError("No drugs or no pharmacist: run `manage.py seed_demo`.")
        seed = secrets.randbits(64) if seed is None else seed
        rng = random.Random(seed)  # noqa: S311 (synthetic data, reproducible by --seed)
        keys: dict[int, tuple] = {}
        totals: dict[str, int] = defaultdict(int)
        started, after = time.perf_counter(), 0
        while True:
            visits = self.visits(after, batch)
            if not visits:
                break
            after = visits[-1]["id"]
            chosen = [v for v in visits if rng.random() < share]
            with transaction.atomic():
                for table, count in self.write(rng, chosen, drugs, pharmacists, keys,
                                               dispensed).items():
                    totals[table] += count
            if options["verbosity"] >= 2:
                self.stdout.write(f"  visit {after}: {totals['prescriptions']:,} prescriptions")
        self.stdout.write(self.style.SUCCESS(written_summary(
            totals, {"prescriptions": "prescriptions", "items": "lines",
                     "dispensings": "dispensings", "audit": "audit rows"},
            time.perf_counter() - started, seed)))

    def visits(self, after: int, batch: int) -> list[dict]:
        primary = VisitDiagnosis.objects.filter(visit=OuterRef("pk"),
                                                kind=DiagnosisKind.PRIMARY).values("code")[:1]
        return list(
            Visit.objects.filter(status=VisitStatus.CLOSED, pk__gt=after)
            .filter(~Exists(Prescription.objects.filter(visit=OuterRef("pk"))))
            .annotate(primary=Subquery(primary))
            .order_by("pk")
            .values("id", "card_id", "card__med_id", "facility_id", "facility__code",
                    "clinician_id", "closed_at", "primary")[:batch])

    def key_of(self, keys: dict, user_id: int):
        if user_id not in keys:
            user = User.objects.get(pk=user_id)
            key, private = prescriber_key(user)
            keys[user_id] = (user.username, key, private)
        return keys[user_id]

    def fresh_codes(self, cursor, count: int) -> list[str]:
        """count codes no prescription holds (a clash with the table is drawn again)."""
        codes: set[str] = set()
        while len(codes) < count:
            wanted = {new_code() for _ in range(count - len(codes))} - codes
            cursor.execute("SELECT code FROM prescriptions_prescription WHERE code = ANY(%s)",
                           [list(wanted)])
            codes |= wanted - {row[0] for row in cursor.fetchall()}
        return list(codes)

    def write(self, rng, visits, drugs, pharmacists, keys, dispensed_share) -> dict:
        counts = {"prescriptions": 0, "items": 0, "dispensings": 0, "lines": 0, "audit": 0}
        if not visits:
            return counts
        now = timezone.now()
        rx_rows, item_rows, dispensing_rows, line_rows, audit_rows = [], [], [], [], []
        with connection.cursor() as cursor:
            rx_ids = _ids(cursor, "prescriptions_prescription", len(visits))
            codes = self.fresh_codes(cursor, len(visits))
            lines_of = [rng.randint(1, 3) for _ in visits]
            item_ids = iter(_ids(cursor, "prescriptions_prescriptionitem", sum(lines_of)))
            gives = [rng.random() < dispensed_share for _ in visits]
            dispensing_ids = iter(_ids(cursor, "prescriptions_dispensing", sum(gives)))
            for visit, rx_id, code, lines, given in zip(visits, rx_ids, codes, lines_of, gives,
                                                        strict=True):
                username, key, private = self.key_of(keys, visit["clinician_id"])
                issued_at = visit["closed_at"].replace(microsecond=0)
                available = timezone.localdate(issued_at)
                rx = SimpleNamespace(
                    code=code, series_code=code, issue_number=1, issues_total=1,
                    interval_days=0, patient=SimpleNamespace(med_id=visit["card__med_id"]),
                    prescriber=SimpleNamespace(username=username), signing_key=key,
                    facility=SimpleNamespace(code=visit["facility__code"]),
                    diagnosis_id=visit["primary"], issued_at=issued_at,
                    available_from=available,
                    valid_until=available + timedelta(days=VALIDITY_DAYS - 1))
                items = []
                for line, drug in enumerate(rng.sample(drugs, lines), start=1):
                    dose, route, frequency, days = rng.choice(DOSAGES)
                    items.append(SimpleNamespace(
                        id=next(item_ids), line=line, drug=drug, quantity=rng.randint(1, 3),
                        dosage=dose, route=route, frequency=frequency, duration_days=days,
                        instructions=""))
                signature = signing.sign(private, signing.canonical(canonical_content(rx, items)))
                qr_message = qr.sign(qr.claims(rx, items), private, key.public_key, key.key_id)
                status = PrescriptionStatus.DISPENSED if given else PrescriptionStatus.ISSUED
                rx_rows.append((
                    rx_id, code, code, 1, 1, 0, False, False, status.value, issued_at,
                    available, rx.valid_until, signature, "", issued_at, visit["facility_id"],
                    visit["card_id"], visit["clinician_id"], key.pk, visit["primary"],
                    visit["id"], qr_message))
                for item in items:
                    item_rows.append((
                        item.id, item.line, item.quantity, item.quantity if given else 0,
                        item.dosage, item.route, item.frequency, item.duration_days, "",
                        (ItemStatus.DISPENSED if given else ItemStatus.TO_DISPENSE).value, "",
                        item.drug.pk, rx_id))
                audit_rows.append((
                    issued_at, visit["clinician_id"], Role.CLINICIAN.value,
                    visit["facility__code"], AuditAction.CREATE.value, PRESCRIPTION_OBJECT,
                    code, visit["card__med_id"], "", True, False, ""))
                if not given:
                    continue
                record = rng.choice(pharmacists)
                dispensing_id, receipt = next(dispensing_ids), uuid.UUID(
                    int=rng.getrandbits(128), version=4)
                at = min(issued_at + timedelta(minutes=rng.randint(30, 3 * 24 * 60)), now)
                dispensing_rows.append((
                    dispensing_id, receipt, "", "", "", PrescriptionStatus.DISPENSED.value, at,
                    record.user_id, record.facility_id, rx_id))
                line_rows += [(item.quantity, 0, dispensing_id, at, item.id) for item in items]
                audit_rows.append((
                    at, record.user_id, Role.PHARMACIST.value, record.facility.code,
                    AuditAction.UPDATE.value, PRESCRIPTION_OBJECT, code, visit["card__med_id"],
                    f"dispensed {receipt}: " + "; ".join(
                        f"{item.drug.inn} {item.drug.strength} × {item.quantity}"
                        for item in items), True, False, ""))
            copy_rows(cursor, "prescriptions_prescription", RX_COLUMNS, rx_rows)
            copy_rows(cursor, "prescriptions_prescriptionitem", ITEM_COLUMNS, item_rows)
            copy_rows(cursor, "prescriptions_dispensing", DISPENSING_COLUMNS, dispensing_rows)
            copy_rows(cursor, "prescriptions_dispensingline", LINE_COLUMNS, line_rows)
            copy_rows(cursor, "dmed_auditevent", AUDIT_COLUMNS, sorted(audit_rows))
        counts.update(prescriptions=len(rx_rows), items=len(item_rows),
                      dispensings=len(dispensing_rows), lines=len(line_rows),
                      audit=len(audit_rows))
        return counts


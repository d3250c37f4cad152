"""Every read of prescriptions that people see: scoped to who asks, audited, with the
joins that keep query counts flat. Also the rules a read decides: the canonical signed
content, signature verification, the patient check and whether an issue is dispensable.
"""

from __future__ import annotations

import hmac
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Prefetch, Q, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.visits.models import DiagnosisKind
from clinics.visits.selectors import load_visit, visit_for
from dmed.audit import record_list_event
from dmed.models import AuditAction, User
from dmed.paging import PAGE_SIZE, Page, keyset_page
from dmed.roles import Role
from dmed.translit import search_key
from dmed.worklists import Worklist, worklist
from patients.access import card_for, of_card, record_access, regular_scope
from patients.models import PatientCard
from prescriptions import qr, signing
from prescriptions.codes import is_valid_code, normalise_code
from prescriptions.conflicts import PrescriptionConflict
from prescriptions.models import (
    DISPENSABLE_STATUSES,
    OPEN_ITEM_STATUSES,
    Dispensing,
    DispensingLine,
    Drug,
    ItemStatus,
    PrescriberKey,
    Prescription,
    PrescriptionItem,
    PrescriptionStatus,
)
from prescriptions.patient_checks import PatientCheckLocked, record_failure, refuse_when_locked
from registry.selectors import acting_staff_record

PRESCRIPTION_OBJECT = "prescriptions.prescription"
PRESCRIBER_KEY_OBJECT = "prescriptions.prescriber_key"
DISPENSING_OBJECT = "prescriptions.dispensing"
DRUG_RESULTS = 20
# Newest first; a series' issues in their order. (series, issue) is unique: a total order.
LIST_ORDER = ("-issued_at", "series_code", "issue_number")
KEYS_PAGE = 100


# --- the signed content -------------------------------------------------------------------


def canonical_content(prescription: Prescription, items=None) -> dict:
    """What the prescriber's signature covers, built from one issue's own rows.

    The series' start and validity are derived from this issue's dates and number, so a
    changed date, quantity, drug, patient or diagnosis on any issue breaks the signature.
    """
    items = list(prescription.items.all()) if items is None else items
    starts = prescription.available_from - timedelta(
        days=prescription.interval_days * (prescription.issue_number - 1))
    return {
        "format": signing.CONTENT_FORMAT,
        "series": prescription.series_code,
        "issues": prescription.issues_total,
        "interval_days": prescription.interval_days,
        "patient": prescription.patient.med_id,
        "prescriber": prescription.prescriber.username,
        "key": str(prescription.signing_key.key_id),
        "facility": prescription.facility.code,
        "diagnosis": prescription.diagnosis_id,
        "issued_at": timezone.localtime(prescription.issued_at).isoformat(),
        "starts": starts.isoformat(),
        "validity_days": (prescription.valid_until - prescription.available_from).days + 1,
        "items": [{
            "line": item.line, "atc": item.drug.atc_code, "inn": item.drug.inn,
            "form": item.drug.dosage_form, "strength": item.drug.strength,
            "quantity": item.quantity, "dosage": item.dosage, "route": item.route,
            "frequency": item.frequency, "duration_days": item.duration_days,
            "instructions": item.instructions,
        } for item in sorted(items, key=lambda i: i.line)],
    }


def signature_is_valid(prescription: Prescription, items=None) -> bool:
    payload = signing.canonical(canonical_content(prescription, items))
    return signing.verify(bytes(prescription.signing_key.public_key),
                          bytes(prescription.signature), payload)


def qr_payload(prescription: Prescription, items=None) -> str:
    """The QR: the issue's signed compact claims (qr.py), for offline checks.

    An issue signed before the compact QR keeps its first form: the code, the key, the
    signature and the signed JSON content (DMEDRX1:…), which pharmacies still read.
    """
    if prescription.qr_message:
        return qr.encode(prescription.qr_message)
    content = signing.canonical(canonical_content(prescription, items))
    parts = ["DMEDRX1", prescription.code, str(prescription.signing_key.key_id),
             signing.b64(prescription.signature), signing.b64(content)]
    return ":".join(parts)


def with_details(prescriptions):
    """What the clinician's and the patient's pages and the API show of each prescription."""
    return prescriptions.select_related(
        "patient", "prescriber", "facility", "signing_key", "diagnosis",
    ).annotate(visit_public_id=F("visit__public_id")).prefetch_related(Prefetch(
        "items", queryset=PrescriptionItem.objects.select_related("drug", "refused_at")
        .order_by("line")))


def _own_fields(model) -> list[str]:
    return [field.name for field in model._meta.concrete_fields]


def for_pharmacy(prescriptions):
    """What a pharmacy's answer, the patient check and the signature read, and no more.

    A card, a user and a facility have dozens of columns; taking the few read here keeps
    the pharmacy API's query small to compile and to fetch (bench/http_floor.py).
    """
    return prescriptions.select_related(
        "patient", "prescriber", "facility", "signing_key",
    ).only(
        *_own_fields(Prescription),
        "patient__med_id", "patient__pinfl", "patient__birth_date", "patient__last_name",
        "patient__first_name", "patient__middle_name",
        # The card's district goes into the dispensing's event, for pharmacy_sync.
        "patient__district_id",
        "prescriber__username", "prescriber__first_name", "prescriber__last_name",
        "facility__code", "facility__name", "signing_key__key_id", "signing_key__public_key",
    ).prefetch_related(Prefetch(
        "items", queryset=PrescriptionItem.objects.select_related("drug", "refused_at")
        .only(*_own_fields(PrescriptionItem), *(f"drug__{name}" for name in _own_fields(Drug)
                                                 if name != "search_text"),
              "refused_at__code", "refused_at__name")
        .order_by("line")))


# --- dispensability --------------------------------------------------------------------


def check_dispensable(prescription: Prescription, items=None) -> None:
    """Refuse (PrescriptionConflict) an issue a pharmacy must not dispense, saying why."""
    today = timezone.localdate()
    if prescription.status == PrescriptionStatus.CANCELLED:
        raise PrescriptionConflict(_("This prescription was cancelled: %(reason)s")
                                   % {"reason": prescription.cancel_reason}, "cancelled")
    if prescription.status == PrescriptionStatus.DISPENSED:
        raise PrescriptionConflict(_("Everything on this prescription was already dispensed."),
                                   "dispensed")
    if prescription.status == PrescriptionStatus.EXPIRED or prescription.valid_until < today:
        raise PrescriptionConflict(_("This prescription expired on %(date)s.")
                                   % {"date": prescription.valid_until.strftime("%d.%m.%Y")},
                                   "expired")
    if prescription.available_from > today:
        raise PrescriptionConflict(_("This issue can be dispensed from %(date)s.")
                                   % {"date": prescription.available_from.strftime("%d.%m.%Y")},
                                   "not_yet_available")
    if not signature_is_valid(prescription, items):
        raise PrescriptionConflict(_("The prescriber's signature does not match this "
                                     "prescription: do not dispense it."), "signature_invalid")
    assert prescription.status in DISPENSABLE_STATUSES  # noqa: S101 — every status handled


def patient_check_matches(card, patient_check: str) -> bool:
    """Last four digits of the PINFL (or the whole PINFL, as a FHIR client names the
    patient), or the birth date (DD.MM.YYYY or YYYY-MM-DD)."""
    given = (patient_check or "").strip()
    if len(given) == 14 and given.isdigit():
        return bool(card.pinfl) and hmac.compare_digest(card.pinfl, given)
    if len(given) == 4 and given.isdigit():
        return bool(card.pinfl) and hmac.compare_digest(card.pinfl[-4:], given)
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            born = datetime.strptime(given, pattern).date()  # noqa: DTZ007 — a date only
        except ValueError:
            continue
        return card.birth_date is not None and born == card.birth_date
    return False


def find_for_pharmacy(*, by, code: str, patient_check: str, action: str,
                      for_update: bool = False) -> Prescription | None:
    """A prescription by its code, with its items, if the patient check passes; else None,
    the refusal audited and counted. An unknown code and a failed check are refused alike,
    so codes cannot be probed; after too many wrong checks of the code or by this checker,
    PatientCheckLocked (prescriptions.patient_checks): call it inside `lockout_audited`.

    With `for_update`, one SELECT … FOR UPDATE locks the prescription row, which every
    change to it or its items takes first; call it inside the transaction, which commits
    the refusal's audit event and its count when nothing else was written.
    """
    code = normalise_code(code)
    refuse_when_locked(by=by, code=code)
    prescription = None
    if is_valid_code(code):
        prescriptions = for_pharmacy(Prescription.objects.filter(code=code))
        if for_update:
            prescriptions = prescriptions.select_for_update(of=("self",))
        # The code is unique: no ORDER BY, no second row to look for.
        prescription = next(iter(prescriptions[:1]), None)
    if prescription is None or not patient_check_matches(prescription.patient, patient_check):
        by.audit(action=action, object_type=PRESCRIPTION_OBJECT, object_id=code[:64],
                 patient_med_id=prescription.patient.med_id if prescription else "",
                 allowed=False, reason="unknown code" if prescription is None
                 else "patient check failed")
        record_failure(by=by, code=code)
        return None
    return prescription


@contextmanager
def lockout_audited(*, by, code: str, action: str):
    """Around find_for_pharmacy and the transaction it runs in: a refusal for too many
    wrong checks is audited once that transaction has rolled back, so it is kept."""
    try:
        yield
    except PatientCheckLocked as locked:
        by.audit(action=action, object_type=PRESCRIPTION_OBJECT,
                 object_id=normalise_code(code)[:64], allowed=False, reason=locked.reason)
        raise


def prescription_for_pharmacy(*, by, code: str, patient_check: str,
                              action: str = AuditAction.VIEW) -> Prescription:
    """A prescription by its code for a pharmacy, after the patient check, or Http404;
    audited either way."""
    with lockout_audited(by=by, code=code, action=action):
        prescription = find_for_pharmacy(by=by, code=code, patient_check=patient_check,
                                         action=action)
    if prescription is None:
        raise Http404
    by.audit(action=action, object_type=PRESCRIPTION_OBJECT, object_id=prescription.code,
             patient_med_id=prescription.patient.med_id)
    return prescription


def receipt(*, by, public_id) -> Dispensing:
    """A dispensing made by this pharmacy (any other answers 404)."""
    dispensing = (Dispensing.objects.select_related("prescription__patient", "pharmacy",
                                                    "pharmacist")
                  .prefetch_related("lines__item__drug")
                  .filter(public_id=public_id, pharmacy=by.pharmacy).first())
    if dispensing is None:
        raise Http404
    by.audit(action=AuditAction.VIEW, object_type=DISPENSING_OBJECT,
             object_id=str(dispensing.public_id),
             patient_med_id=dispensing.prescription.patient.med_id)
    return dispensing


def dispensing_lines(dispensing: Dispensing) -> list:
    """A dispensing's lines in the prescription's order, with their items."""
    return list(dispensing.lines.select_related("item").order_by("item__line"))


# --- clinicians and patients ------------------------------------------------------------


def search_drugs(query: str, *, limit: int = DRUG_RESULTS):
    """Active registry drugs by INN, trade name (any script) or ATC code prefix."""
    query = (query or "").strip()
    drugs = Drug.objects.filter(is_active=True)
    if not query:
        return drugs.order_by("inn", "strength")[:limit]
    upper = query.upper()
    condition = Q(search_text__contains=search_key(query))
    if upper[:1].isalpha() and len(upper) <= 7 and upper[1:3].isdigit():
        condition |= Q(atc_code__startswith=upper)
    return drugs.filter(condition).order_by("inn", "strength")[:limit]


def prescriptions_of_card(user: User, med_id: str, *, cursor: str | None = None,
                          limit: int = PAGE_SIZE):
    """A card's prescriptions, newest first in keyset pages, for someone who may open the
    card: (the card, the page)."""
    access = card_for(user, med_id, action=AuditAction.LIST, object_type=PRESCRIPTION_OBJECT)
    prescriptions = with_details(Prescription.objects.filter(patient=access.card))
    return access.card, keyset_page(prescriptions, order=LIST_ORDER, cursor=cursor,
                                    limit=limit)


def card_to_prescribe_for(user: User, med_id: str, *, visit=None):
    """The card a clinician writes a prescription on (a view of the card, audited), and the
    visit it is written from when one is named: a visit the user may open, of this card,
    or Http404."""
    card = card_for(user, med_id).card
    if visit is None:
        return card, None
    # Another card's visit is refused before it is read: a foreign id is never followed.
    if visit_of_card(visit, card) is None:
        raise Http404
    return card, visit_for(user, visit)


def visit_of_card(public_id, card: PatientCard):
    """The visit by its public id if it is one of the card's, else None: unknown and
    foreign alike, so another card's visit is neither followed nor told apart. Visits
    written on a temporary card stay there when it is merged into this one."""
    try:
        visit = load_visit(public_id)
    except Http404:
        return None
    return visit if card.pk in (visit.card_id, visit.card.merged_into_id) else None


def primary_diagnosis(visit) -> str:
    """The code of the visit's primary diagnosis, or "" while it has none."""
    return next((diagnosis.code_id for diagnosis in visit.diagnoses.all()
                 if diagnosis.kind == DiagnosisKind.PRIMARY), "")


def prescription_for_reader(user: User, code: str) -> Prescription:
    """One prescription for its patient (or representative), or a clinician with the card
    in scope; anybody else gets 404 (a prescription's existence does not leak)."""
    code = normalise_code(code)
    prescription = (with_details(Prescription.objects.filter(code=code)).first()
                    if is_valid_code(code) else None)
    if prescription is None:
        raise Http404
    try:
        record_access(user, prescription.patient, object_type=PRESCRIPTION_OBJECT,
                      object_id=code)
    except PermissionDenied:  # the code's existence does not leak either
        raise Http404 from None
    return prescription


def my_prescriptions(user: User, *, cursor: str | None = None, limit: int = PAGE_SIZE) -> Page:
    """The patient's own prescriptions (and those of cards they represent), newest first,
    in keyset pages."""
    if user.role != Role.PATIENT:
        raise PermissionDenied
    condition = regular_scope(user).as_q()
    page = keyset_page(with_details(Prescription.objects.filter(patient__in=_cards(condition))),
                       order=LIST_ORDER, cursor=cursor, limit=limit)
    record_list_event(actor=user, object_type=PRESCRIPTION_OBJECT, list_id="mine",
                      shown=[(p.code, p.patient.med_id) for p in page.results])
    return page


def _cards(condition):
    return PatientCard.objects.filter(condition).values("pk")


def public_key(kid: bytes) -> bytes | None:
    """The raw public key (retired ones too) whose id starts with a QR's kid bytes: a range
    of the unique index on key_id, so one indexed read."""
    rest = 16 - len(kid)
    low, high = uuid.UUID(bytes=kid + b"\0" * rest), uuid.UUID(bytes=kid + b"\xff" * rest)
    found = list(PrescriberKey.objects.filter(key_id__range=(low, high))
                 .values_list("public_key", flat=True)[:2])
    # Two keys under one kid (one in 2^32 at 100,000 keys): the QR cannot say whose it is.
    return bytes(found[0]) if len(found) == 1 else None


def public_keys(*, after: int = 0, limit: int = KEYS_PAGE):
    """Prescribers' public keys in key order (keyset pages), revoked ones included."""
    return (PrescriberKey.objects.select_related("prescriber").filter(pk__gt=after)
            .order_by("pk")[:limit])


# --- what the patient reads --------------------------------------------------------------


@dataclass(frozen=True)
class ItemState:
    text: str
    tone: str  # "ok", "warn", "muted"


def still_to_get(prescription: Prescription, item: PrescriptionItem) -> bool:
    """Whether the patient can still get this medicine at a pharmacy (by status)."""
    return prescription.status in DISPENSABLE_STATUSES and item.status in OPEN_ITEM_STATUSES


def item_state(item: PrescriptionItem, prescription: Prescription, today: date) -> ItemState:
    """The patient's words for an item: "ready", "partly given, 10 left", "refused at …"."""
    if item.status == ItemStatus.DISPENSED:
        return ItemState(_("given in full"), "muted")
    if item.status == ItemStatus.CANCELLED:
        return ItemState(_("cancelled: %(reason)s") % {"reason": item.status_reason}, "muted")
    if item.status == ItemStatus.EXPIRED or prescription.status == PrescriptionStatus.EXPIRED:
        return ItemState(_("expired"), "muted")
    if item.refused_at_id and item.status_reason:
        prefix = _("refused at %(pharmacy)s: %(reason)s") % {
            "pharmacy": item.refused_at.name, "reason": item.status_reason}
        if item.dispensed_quantity:
            return ItemState(prefix + " · " + _("%(left)d left") % {"left": item.remaining},
                             "warn")
        return ItemState(prefix, "warn")
    if prescription.available_from > today:
        return ItemState(_("from %(date)s") % {
            "date": prescription.available_from.strftime("%d.%m.%Y")}, "muted")
    if item.status == ItemStatus.PARTLY_DISPENSED:
        return ItemState(_("partly given, %(left)d left") % {"left": item.remaining}, "ok")
    return ItemState(_("ready"), "ok")


# --- the registry and dispensing totals for other apps (pharmacy sync) --------------------


def drug_by_id(pk: int) -> Drug | None:
    return Drug.objects.filter(pk=pk).first()


def active_drug_ids(ids) -> set[int]:
    """Which of these ids are active drugs of the registry."""
    return set(Drug.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))


def prescription_only_drug_ids(ids) -> set[int]:
    return set(Drug.objects.filter(pk__in=ids, prescription_only=True)
               .values_list("pk", flat=True))


def dispensed_totals(start: datetime, end: datetime) -> dict[tuple[int, int], int]:
    """What the portal recorded as dispensed in [start, end): the quantity per (pharmacy,
    drug), summed over every dispensing's lines; one grouped query."""
    rows = (DispensingLine.objects
            .filter(dispensing__dispensed_at__gte=start, dispensing__dispensed_at__lt=end)
            .values_list("dispensing__pharmacy_id", "item__drug_id")
            .annotate(total=Sum("quantity")).order_by())
    return {(pharmacy, drug): total for pharmacy, drug, total in rows}


def current_medicines(card: PatientCard) -> list[str]:
    """What the patient takes now, for the clinical banner: the drugs of the card's issued
    or partly dispensed, unexpired prescriptions, each named once (one query). The hook
    the banner calls (settings.CLINICAL_BANNER_SOURCES)."""
    today = timezone.localdate()
    rows = (PrescriptionItem.objects
            .filter(of_card(card, "prescription__patient"),
                    prescription__status__in=DISPENSABLE_STATUSES,
                    prescription__valid_until__gte=today)
            .order_by("drug__inn", "drug__strength")
            .values_list("drug__inn", "drug__strength").distinct())
    return [f"{inn} {strength}" for inn, strength in rows]


# --- the worklists of the role home pages (home/) ------------------------------------------

RUNNING_OUT_DAYS = 7


def _listed(user: User, listed: Worklist, *, list_id: str, reason: str, shown) -> Worklist:
    record_list_event(actor=user, object_type=PRESCRIPTION_OBJECT, list_id=list_id,
                      shown=shown, reason=reason)
    return listed


def repeats_running_out(user: User, *, cursor: str | None = None) -> Worklist:
    """The clinician's chronic patients whose medicine runs out within a week: the last
    issue of a series the clinician wrote at the facility they act for stops being
    dispensable within RUNNING_OUT_DAYS, and no chronic prescription of that patient lasts
    beyond it. Soonest first."""
    record = acting_staff_record(user)
    if record is None or user.role != Role.CLINICIAN:
        raise PermissionDenied(_("Clinicians renew prescriptions."))
    today = timezone.localdate()
    # Renewed: another chronic prescription of the patient that lasts longer.
    renewed = Prescription.objects.filter(patient=OuterRef("patient"), chronic=True,
                                          valid_until__gt=OuterRef("valid_until")).exclude(
        status__in=[PrescriptionStatus.CANCELLED, PrescriptionStatus.EXPIRED])
    last_issues = (Prescription.objects.filter(
        prescriber=user, facility_id=record.facility_id, chronic=True,
        issue_number=F("issues_total"),
        status__in=[*DISPENSABLE_STATUSES, PrescriptionStatus.DISPENSED],
        valid_until__gte=today, valid_until__lte=today + timedelta(days=RUNNING_OUT_DAYS))
        .exclude(Exists(renewed)).select_related("patient", "diagnosis"))
    listed = worklist(last_issues, order=("valid_until", "pk"), cursor=cursor)
    return _listed(user, listed, list_id=record.facility.code, reason="running out",
                   shown=[(p.code, p.patient.med_id) for p in listed.rows])


def ready_to_dispense(user: User, cards, *, cursor: str | None = None) -> Worklist:
    """The patient's prescriptions a pharmacy can dispense today (`cards`: their own, from
    patients.selectors.patients_own_cards), the soonest to expire first."""
    today = timezone.localdate()
    prescriptions = with_details(Prescription.objects.filter(
        patient__in=cards, status__in=DISPENSABLE_STATUSES, available_from__lte=today,
        valid_until__gte=today))
    listed = worklist(prescriptions, order=("valid_until", "pk"), cursor=cursor)
    return _listed(user, listed, list_id="mine", reason="ready to dispense",
                   shown=[(p.code, p.patient.med_id) for p in listed.rows])


def dispensings_today(user: User, *, cursor: str | None = None) -> Worklist:
    """What the pharmacy the pharmacist acts for gave out today, the latest first, with the
    medicines of each."""
    record = acting_staff_record(user)
    if record is None or user.role != Role.PHARMACIST:
        raise PermissionDenied(_("Only pharmacists working at a pharmacy dispense."))
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))
    dispensings = (Dispensing.objects.filter(pharmacy_id=record.facility_id,
                                             dispensed_at__gte=midnight)
                   .select_related("prescription__patient", "pharmacist")
                   .prefetch_related(Prefetch("lines", DispensingLine.objects
                                              .select_related("item__drug").order_by("pk"))))
    listed = worklist(dispensings, order=("-dispensed_at", "-pk"), cursor=cursor)
    return _listed(user, listed, list_id=record.facility.code, reason="dispensed today",
                   shown=[(d.prescription.code, d.prescription.patient.med_id)
                          for d in listed.rows])

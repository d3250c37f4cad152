"""Need-to-know, walked: every page and endpoint that shows card data, for every role,
compared with the one matrix (patients.access.NEED_TO_KNOW).

The walk is generated from the URL map: each URL name has a rule here (the sections it may
show and how to reach it with the demo world's records) or is listed as showing no card
data, or as a write; a new URL without either fails `test_every_url_has_a_rule`.

What a page shows is read from the page itself: the demo patient's records carry marker
texts (a complaint, a street, an allergen, …), one set per section, and a section counts
as shown when one of its markers is in the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pytest
from django.core.management import call_command
from django.db.models import Exists, OuterRef
from django.urls import URLResolver, get_resolver, reverse
from django.utils import translation

from clinics.labs.models import LabOrder, LabResult, LabTest
from clinics.models import Icd10Code
from clinics.referrals.models import Referral
from clinics.stays.models import Stay
from clinics.visits.models import Visit, VisitStatus
from dmed.models import User
from dmed.roles import Role
from mch.models import AdverseEvent
from patients.access import NEED_TO_KNOW, Section
from patients.models import Allergy, PatientCard
from patronage.models import PlannedVisit
from prescriptions.models import ControlledClass, Drug, Prescription
from prescriptions.services import dispense, issue_prescription, pharmacist_actor

S = Section
ROLE_USERS = {Role.CLINICIAN: "doctor", Role.NURSE: "nurse", Role.REGISTRAR: "registrar",
              Role.LAB_TECHNICIAN: "lab", Role.PHARMACIST: "pharmacist",
              Role.PATIENT: "patient", Role.ADMINISTRATOR: "admin",
              Role.EPIDEMIOLOGIST: "epidemiologist"}
STREET = "Marker street 77"
REFERRAL_REASON = "Marker referral reason"
DIAGNOSIS_TITLE = "Marker diagnosis title"
ALLERGEN = "Marker allergen"
LAB_TEST = "Marker lab test"


@dataclass
class World:
    card: PatientCard
    visit: Visit
    records: dict = field(default_factory=dict)  # other records of the card, by kind
    markers: dict = field(default_factory=dict)  # section -> texts that show it


@pytest.fixture
def world(settings):
    settings.DEMO_PASSWORD = "demo-test-password-1"
    call_command("seed_demo")
    # The demo card with the richest history becomes the demo patient's own.
    kinds = {"has_stay": Stay, "has_referral": Referral, "has_result": LabResult,
             "has_visit": Visit}
    card = (PatientCard.objects.annotate(**{
        name: Exists(model.objects.filter(card=OuterRef("pk"))) for name, model in kinds.items()
    }).annotate(has_prescription=Exists(Prescription.objects.filter(patient=OuterRef("pk"))))
        .order_by(*(f"-{name}" for name in (*kinds, "has_prescription")), "pk").first())
    patient = User.objects.get(username="patient")
    PatientCard.objects.filter(user=patient).update(user=None)
    PatientCard.objects.filter(pk=card.pk).update(user=patient)
    PatientCard.objects.filter(pk=card.pk).update(street=STREET)
    Allergy.objects.create(card=card, substance=ALLERGEN, reaction="rash", severity="mild")
    # A closed visit is signed and final: its own complaints and plan are the markers.
    visit = (Visit.objects.filter(card=card, status=VisitStatus.CLOSED).exclude(complaints="")
             .exclude(plan="").latest("opened_at"))
    records = {
        "stay": Stay.objects.filter(card=card).first(),
        "result": LabResult.objects.filter(card=card, released_at__isnull=False).first(),
        "order": LabOrder.objects.filter(card=card).first(),
        "prescription": Prescription.objects.filter(patient=card).first(),
        "referral": Referral.objects.filter(card=card).first(),
    }
    if records["prescription"] is None:  # no demo card has every kind of record
        records["prescription"] = _prescribe(card, visit)
    # A receipt: the demo pharmacist dispenses part of a prescription of the card.
    receipt_of = _prescribe(card, visit)
    records["dispensing"], _new = dispense(
        by=pharmacist_actor(User.objects.get(username="pharmacist")), code=receipt_of.code,
        patient_check=card.birth_date.strftime("%d.%m.%Y"), items=[{"item": 1, "quantity": 1}])
    if records["referral"]:
        Referral.objects.filter(pk=records["referral"].pk).update(reason=REFERRAL_REASON)
    if records["result"]:
        LabTest.objects.filter(pk=records["result"].test_id).update(**{
            f.name: LAB_TEST for f in LabTest._meta.fields if f.name.startswith("name")})
    codes = set(visit.diagnoses.values_list("code_id", flat=True))
    Icd10Code.objects.filter(code__in=codes).update(
        title_en=DIAGNOSIS_TITLE, title_uz=DIAGNOSIS_TITLE, title_ru=DIAGNOSIS_TITLE)
    markers = {
        S.DEMOGRAPHICS: [STREET],
        # The complaints, and the plan, which the visit's printed summary shows.
        S.CLINICAL_TEXT: [visit.complaints, visit.plan]
        + ([REFERRAL_REASON] if records["referral"] else []),
        S.DIAGNOSES: [DIAGNOSIS_TITLE],
        S.ALLERGIES: [ALLERGEN],
        S.PRESCRIPTIONS: [p.code for p in [records["prescription"], receipt_of] if p],
        S.STAYS: [str(s.public_id) for s in [records["stay"]] if s],
        S.LAB_RESULTS: [LAB_TEST] if records["result"] else [],
    }
    return World(card=card, visit=visit, records=records,
                 markers={section: texts for section, texts in markers.items() if texts})


def _prescribe(card: PatientCard, visit: Visit) -> Prescription:
    medicine = Drug.objects.filter(controlled_class=ControlledClass.NONE).order_by("pk").first()
    return issue_prescription(
        actor=User.objects.get(username="doctor"), patient=card.med_id,
        diagnosis=visit.diagnoses.values_list("code_id", flat=True).first(),
        items=[{"drug": medicine.pk, "quantity": 10, "dosage": "1 tablet",
                "frequency": "once a day", "route": "oral", "duration_days": 10}],
        acknowledge_allergies=True)


@dataclass(frozen=True)
class Rule:
    """A page or endpoint that shows card data: the sections it may show, the one it needs
    to open at all, the roles it must open for, and its address in the demo world."""

    shows: frozenset
    needs: str
    opens_for: frozenset
    path: Callable[[World], str | None]  # None: the demo world lacks such a record
    # Does the answer carry the marker of `needs`? Not where it names records by code
    # (the lab API), is binary (a PDF), or addresses the marked record itself.
    marked: bool = True


def rule(shows, needs, opens_for, path, *, marked=True):
    return Rule(frozenset(shows), needs, frozenset(opens_for), path, marked)


def _card(name, query=""):
    return lambda w: reverse(name, args=[w.card.med_id]) + query


def _record(name, kind, attribute="public_id", query=""):
    def path(w):
        record = w.records.get(kind)
        return reverse(name, args=[getattr(record, attribute)]) + query if record else None
    return path


CARERS = (Role.CLINICIAN, Role.NURSE)
CARD_STAFF = (*CARERS, Role.REGISTRAR, Role.ADMINISTRATOR)
CARD_FIELDS = (S.IDENTIFICATION, S.DEMOGRAPHICS, S.ATTACHMENT, S.ALLERGIES)
TIMELINE = (S.IDENTIFICATION, S.APPOINTMENTS, S.DIAGNOSES, S.STAYS, S.PRESCRIPTIONS,
            S.LAB_RESULTS, S.REFERRALS, S.CLINICAL_TEXT)

RULES: dict[str, Rule] = {
    "patients:card": rule(CARD_FIELDS, S.IDENTIFICATION, (*CARD_STAFF, Role.PATIENT),
                          _card("patients:card")),
    "patients:print": rule((S.IDENTIFICATION,), S.IDENTIFICATION, CARD_STAFF,
                           _card("patients:print")),
    "patients:my-card": rule(CARD_FIELDS, S.IDENTIFICATION, (Role.PATIENT,),
                             lambda w: reverse("patients:my-card")),
    "patients:my-access-log": rule((S.ACCESS_LOG,), S.ACCESS_LOG, (Role.PATIENT,),
                                   lambda w: reverse("patients:my-access-log")),
    "patients:search": rule((S.IDENTIFICATION,), S.IDENTIFICATION, CARD_STAFF,
                            lambda w: reverse("patients:search") + f"?q={w.card.med_id}"),
    "api-patient": rule((S.IDENTIFICATION, S.DEMOGRAPHICS, S.ATTACHMENT), S.IDENTIFICATION,
                        (*CARD_STAFF, Role.PATIENT), _card("api-patient")),
    "api-patients": rule((S.IDENTIFICATION,), S.IDENTIFICATION, CARD_STAFF,
                         lambda w: reverse("api-patients") + f"?search={w.card.med_id}"),
    "api-patient-access-log": rule((S.ACCESS_LOG,), S.ACCESS_LOG,
                                   (Role.PATIENT, Role.ADMINISTRATOR),
                                   _card("api-patient-access-log")),
    "timeline:card": rule((*TIMELINE, S.ALLERGIES), S.IDENTIFICATION, (*CARD_STAFF, Role.PATIENT),
                          _card("timeline:card")),
    "clinics:card-visits": rule((S.IDENTIFICATION, S.APPOINTMENTS, S.DIAGNOSES),
                                S.APPOINTMENTS, (*CARD_STAFF, Role.PATIENT),
                                _card("clinics:card-visits")),
    "clinics:visits": rule((S.IDENTIFICATION, S.APPOINTMENTS, S.DIAGNOSES), S.APPOINTMENTS,
                           CARERS, lambda w: reverse("clinics:visits")),
    # The clinical banner on a page about one patient shows allergies and problems.
    "clinics:visit": rule((S.IDENTIFICATION, S.APPOINTMENTS, S.CLINICAL_TEXT, S.DIAGNOSES,
                           S.ALLERGIES),
                          S.APPOINTMENTS, (*CARD_STAFF, Role.PATIENT),
                          lambda w: reverse("clinics:visit", args=[w.visit.public_id])),
    "clinics:visit-edit": rule((S.IDENTIFICATION, S.CLINICAL_TEXT, S.DIAGNOSES),
                               S.CLINICAL_TEXT, (),  # a closed visit redirects to its page
                               lambda w: reverse("clinics:visit-edit",
                                                 args=[w.visit.public_id])),
    "api-visits": rule((S.IDENTIFICATION, S.APPOINTMENTS, S.CLINICAL_TEXT, S.DIAGNOSES),
                       S.APPOINTMENTS, (*CARD_STAFF, Role.PATIENT),
                       lambda w: reverse("api-visits") + f"?card={w.card.med_id}"),
    "api-visit": rule((S.IDENTIFICATION, S.APPOINTMENTS, S.CLINICAL_TEXT, S.DIAGNOSES),
                      S.APPOINTMENTS, (*CARD_STAFF, Role.PATIENT),
                      lambda w: reverse("api-visit", args=[w.visit.public_id])),
    "clinics:card-stays": rule((S.IDENTIFICATION, S.STAYS, S.DIAGNOSES), S.STAYS,
                               (*CARERS, Role.PATIENT), _card("clinics:card-stays")),
    "clinics:stay": rule((S.IDENTIFICATION, S.STAYS, S.CLINICAL_TEXT, S.DIAGNOSES,
                          S.ALLERGIES), S.STAYS,
                         (*CARERS, Role.PATIENT), _record("clinics:stay", "stay"), marked=False),
    "api-stays": rule((S.IDENTIFICATION, S.STAYS, S.CLINICAL_TEXT, S.DIAGNOSES), S.STAYS,
                      (*CARERS, Role.PATIENT),
                      lambda w: reverse("api-stays") + f"?card={w.card.med_id}"),
    "api-stay": rule((S.IDENTIFICATION, S.STAYS, S.CLINICAL_TEXT, S.DIAGNOSES), S.STAYS,
                     (*CARERS, Role.PATIENT), _record("api-stay", "stay"), marked=False),
    "labs:card-results": rule((S.IDENTIFICATION, S.LAB_RESULTS), S.LAB_RESULTS,
                              (*CARERS, Role.PATIENT), _card("labs:card-results")),
    "labs:result": rule((S.IDENTIFICATION, S.LAB_RESULTS), S.LAB_RESULTS,
                        (*CARERS, Role.PATIENT), _record("labs:result", "result"), marked=False),
    "labs:result-pdf": rule((S.IDENTIFICATION, S.LAB_RESULTS), S.LAB_RESULTS,
                            (*CARERS, Role.PATIENT), _record("labs:result-pdf", "result"),
                            marked=False),
    "labs:order": rule((S.IDENTIFICATION, S.LAB_RESULTS, S.DIAGNOSES), S.LAB_RESULTS,
                       (Role.LAB_TECHNICIAN,), _record("labs:order", "order")),
    "labs:worklist": rule((S.IDENTIFICATION, S.LAB_RESULTS), S.LAB_RESULTS,
                          (Role.LAB_TECHNICIAN,), lambda w: reverse("labs:worklist"), marked=False),
    "labs:my-results": rule((S.IDENTIFICATION, S.LAB_RESULTS), S.LAB_RESULTS,
                            (Role.PATIENT,), lambda w: reverse("labs:my-results")),
    "api-lab-orders": rule((S.IDENTIFICATION, S.LAB_RESULTS, S.DIAGNOSES), S.LAB_RESULTS,
                           (*CARERS, Role.PATIENT),
                           lambda w: reverse("api-lab-orders") + f"?med_id={w.card.med_id}",
                           marked=False),
    "api-lab-order": rule((S.IDENTIFICATION, S.LAB_RESULTS, S.DIAGNOSES), S.LAB_RESULTS,
                          (), _record("api-lab-order", "order")),
    "api-lab-results": rule((S.IDENTIFICATION, S.LAB_RESULTS), S.LAB_RESULTS,
                            (*CARERS, Role.PATIENT),
                            lambda w: reverse("api-lab-results") + f"?med_id={w.card.med_id}",
                            marked=False),
    "referrals:card": rule((S.IDENTIFICATION, S.REFERRALS, S.CLINICAL_TEXT, S.DIAGNOSES,
                            S.ALLERGIES),
                           S.REFERRALS, (*CARD_STAFF, Role.PATIENT), _card("referrals:card")),
    "referrals:incoming": rule((S.IDENTIFICATION, S.REFERRALS, S.CLINICAL_TEXT, S.DIAGNOSES),
                               S.REFERRALS, CARERS, lambda w: reverse("referrals:incoming")),
    "api-referrals": rule((S.IDENTIFICATION, S.REFERRALS, S.CLINICAL_TEXT, S.DIAGNOSES),
                          S.REFERRALS, (*CARD_STAFF, Role.PATIENT),
                          lambda w: reverse("api-referrals") + f"?med_id={w.card.med_id}"),
    "prescriptions:card-list": rule((S.IDENTIFICATION, S.PRESCRIPTIONS, S.DIAGNOSES),
                                    S.PRESCRIPTIONS, (*CARERS, Role.PATIENT),
                                    _card("prescriptions:card-list")),
    "prescriptions:detail": rule((S.IDENTIFICATION, S.PRESCRIPTIONS, S.DIAGNOSES),
                                 S.PRESCRIPTIONS, (*CARERS, Role.PATIENT),
                                 _record("prescriptions:detail", "prescription", "code"),
                                 marked=False),
    "prescriptions:mine": rule((S.IDENTIFICATION, S.PRESCRIPTIONS, S.DIAGNOSES),
                               S.PRESCRIPTIONS, (Role.PATIENT,),
                               lambda w: reverse("prescriptions:mine")),
    "prescriptions:pharmacy-prescription": rule(
        # The pharmacist opens it with the patient check (tests/prescriptions): without one
        # it asks for the check, showing nothing.
        (S.IDENTIFICATION, S.PRESCRIPTIONS), S.PRESCRIPTIONS, (),
        _record("prescriptions:pharmacy-prescription", "prescription", "code")),
    "api-prescriptions": rule((S.IDENTIFICATION, S.PRESCRIPTIONS, S.DIAGNOSES),
                              S.PRESCRIPTIONS, (*CARERS, Role.PATIENT),
                              lambda w: reverse("api-prescriptions")
                              + f"?patient={w.card.med_id}"),
    "api-prescription": rule((S.IDENTIFICATION, S.PRESCRIPTIONS, S.DIAGNOSES),
                             S.PRESCRIPTIONS, (*CARERS, Role.PATIENT),
                             _record("api-prescription", "prescription", "code"), marked=False),
    "patients:break-glass-reviews": rule(
        (S.IDENTIFICATION,), S.IDENTIFICATION, (),  # heads only: tests/patients/test_reach
        lambda w: reverse("patients:break-glass-reviews")),
    "prescriptions:slip": rule((S.IDENTIFICATION, S.PRESCRIPTIONS, S.DIAGNOSES),
                               S.PRESCRIPTIONS, (*CARERS, Role.PATIENT),
                               _record("prescriptions:slip", "prescription", "code"),
                               marked=False),
    "prescriptions:receipt": rule((S.IDENTIFICATION, S.PRESCRIPTIONS), S.PRESCRIPTIONS,
                                  (Role.PHARMACIST,),
                                  _record("prescriptions:receipt", "dispensing")),
    "prescriptions:receipt-print": rule((S.IDENTIFICATION, S.PRESCRIPTIONS), S.PRESCRIPTIONS,
                                        (Role.PHARMACIST,),  # the code printed spaced out
                                        _record("prescriptions:receipt-print", "dispensing"),
                                        marked=False),
    "clinics:visit-summary": rule((S.IDENTIFICATION, S.APPOINTMENTS, S.CLINICAL_TEXT,
                                   S.DIAGNOSES, S.ALLERGIES), S.CLINICAL_TEXT,
                                  (*CARERS, Role.PATIENT),
                                  lambda w: reverse("clinics:visit-summary",
                                                    args=[w.visit.public_id])),
    # Mother and child: a pregnancy's course and a child's vaccinations are clinical (the
    # demo patient has neither: the pages show who it is and the banner).
    "mch:pregnancy": rule((S.IDENTIFICATION, S.CLINICAL_TEXT, S.DIAGNOSES, S.ALLERGIES),
                          S.CLINICAL_TEXT, (*CARERS, Role.PATIENT), _card("mch:pregnancy"),
                          marked=False),
    "mch:immunisation": rule((S.IDENTIFICATION, S.CLINICAL_TEXT, S.ALLERGIES),
                             S.CLINICAL_TEXT, (*CARERS, Role.PATIENT),
                             _card("mch:immunisation"), marked=False),
    # The district epidemiologist's adverse events following immunisation: each with its
    # vaccination and the child's identification (the demo's report is another child's).
    "mch:aefi-list": rule((S.IDENTIFICATION,), S.IDENTIFICATION, (Role.EPIDEMIOLOGIST,),
                          lambda w: reverse("mch:aefi-list"), marked=False),
    "mch:aefi": rule((S.IDENTIFICATION,), S.IDENTIFICATION, (Role.EPIDEMIOLOGIST,),
                     lambda w: reverse("mch:aefi", args=[
                         AdverseEvent.objects.values_list("public_id", flat=True).first()]),
                     marked=False),
    "mch:district": rule((S.IDENTIFICATION, S.DEMOGRAPHICS, S.CLINICAL_TEXT), S.CLINICAL_TEXT,
                         CARERS, lambda w: reverse("mch:district"), marked=False),
    # Patronage: the nurse's route and a home visit, for the polyclinic's nurses only.
    "patronage:route": rule((S.IDENTIFICATION, S.DEMOGRAPHICS, S.CLINICAL_TEXT),
                            S.CLINICAL_TEXT, (Role.NURSE,), lambda w: reverse("patronage:route"),
                            marked=False),
    "patronage:visit": rule((S.IDENTIFICATION, S.DEMOGRAPHICS, S.CLINICAL_TEXT),
                            S.CLINICAL_TEXT, (Role.NURSE,), lambda w: reverse(
                                "patronage:visit",
                                args=[PlannedVisit.objects.order_by("pk").first().public_id]),
                            marked=False),
    # The results inbox: the clinician's own notices (results, referrals, dispensings).
    "inbox:inbox": rule((S.IDENTIFICATION, S.LAB_RESULTS, S.REFERRALS, S.PRESCRIPTIONS),
                        S.LAB_RESULTS, (Role.CLINICIAN,), lambda w: reverse("inbox:inbox"),
                        marked=False),
    "inbox:live": rule((S.IDENTIFICATION, S.LAB_RESULTS, S.REFERRALS, S.PRESCRIPTIONS),
                       S.LAB_RESULTS, (Role.CLINICIAN,), lambda w: reverse("inbox:live"),
                       marked=False),
    # One panel of the home page by its own address (the others are on "home").
    "home-panel": rule((S.IDENTIFICATION, S.REFERRALS), S.REFERRALS, (Role.CLINICIAN,),
                       lambda w: reverse("home-panel", args=["referrals"]), marked=False),
    "patients:attachment-requests": rule(
        # The polyclinic's registrars and head decide; the demo world has no request.
        (S.IDENTIFICATION, S.ATTACHMENT), S.IDENTIFICATION, (Role.REGISTRAR,),
        lambda w: reverse("patients:attachment-requests"), marked=False),
    "patients:my-attachment": rule((S.IDENTIFICATION, S.ATTACHMENT), S.IDENTIFICATION,
                                   (Role.PATIENT,), lambda w: reverse("patients:my-attachment")),
    "home": rule((S.IDENTIFICATION, S.APPOINTMENTS, S.REFERRALS, S.LAB_RESULTS, S.STAYS,
                  S.PRESCRIPTIONS), S.IDENTIFICATION, tuple(ROLE_USERS), lambda w: reverse("home")),
}

# Pages and endpoints that show no card's data, or show it only to a system holding a key
# (the pharmacy API, walked in tests/prescriptions), or whose card data is a ticket's
# number and name (the queue pages, scoped by service point in tests/queues).
NO_CARD_DATA = {
    "login", "logout", "password_change", "password_change_done", "set_language", "healthz",
    "readyz", "api-token", "api-logout", "api-me", "api-schema", "api-docs", "csp-report",
    "registry:acting-facility", "notifications:preferences", "notifications:telegram-code",
    "notifications:telegram-webhook", "pharmacy_sync:in-stock", "api-drugs", "api-icd10",
    "api-protocols", "api-referral-specialists", "api-queue-service-points",
    "api-queue-slots", "api-pharmacy-events", "api-pharmacy-stock", "api-pharmacy-webhook",
    "api-prescriber-keys", "api-pharmacy-prescription", "prescriptions:pharmacy",
    "queue:index", "queue:desk", "queue:desk-line", "queue:ticket",
    "queue:ticket-live", "queue:board", "queue:board-live", "queue:my-queue",
    "queue:my-booking", "queue:kiosk", "queue:walk-in", "queue:book", "api-queue-board",
    "api-queue-tickets", "api-queue-ticket", "api-queue-appointments",
    "api-queue-appointment", "clinics:wards", "clinics:ward-board", "clinics:stay-admit",
    "patients:register", "labs:order-new", "referrals:new", "prescriptions:write",
    "queue:ticket-print", "patronage:service-worker",
    # FHIR answers systems holding an OAuth token only (tests/fhir walks each resource with
    # clients of every kind); the registry's resources and the metadata hold no card.
    "fhir:metadata", "fhir:smart-configuration", "fhir:not-served", "fhir:organization",
    "fhir:transaction", "fhir:group",
    "fhir:organization-search", "fhir:practitioner", "fhir:practitioner-search",
    "fhir:practitionerrole", "fhir:practitionerrole-search", "fhir:patient",
    "fhir:patient-search", "fhir:encounter", "fhir:encounter-search", "fhir:condition",
    "fhir:condition-search", "fhir:observation", "fhir:observation-search",
    "fhir:allergyintolerance", "fhir:allergyintolerance-search", "fhir:medication",
    "fhir:medication-search", "fhir:medicationrequest", "fhir:medicationrequest-search",
    "fhir:medicationdispense", "fhir:medicationdispense-search", "fhir:auditevent-search",
    "fhir:diagnosticreport", "fhir:diagnosticreport-search", "fhir:servicerequest",
    "fhir:servicerequest-search", "fhir:appointment", "fhir:appointment-search",
    "fhir:healthcareservice", "fhir:healthcareservice-search", "fhir:location",
    "fhir:location-search", "fhir:patient-everything", "fhir:provenance",
    "fhir:provenance-search", "fhir:relatedperson", "fhir:relatedperson-search",
    # Bulk export: the client's visible cards and the record kinds its role sees
    # (tests/fhir/test_export.py), to the client that started it only.
    "fhir:export", "fhir:group-export", "fhir:export-status", "fhir:export-file",
    "oauth2_provider:token", "oauth2_provider:revoke-token",
    # The consent screen names an app and its scopes; a person's connected apps list the
    # apps they approved (tests/fhir/test_person_apps.py): no card data.
    "oauth2_provider:authorize", "fhir_apps:connected-apps",
}
# Writes: they answer with what the writer's role sees (the same serializers and pages).
WRITES = {
    "patients:register-temporary", "patients:break-glass", "patients:break-glass-review",
    "patients:break-glass-revoke", "patients:attachment-request", "patients:attachment-decide",
    "notifications:telegram-unlink", "fhir_apps:revoke",
    "queue:call-next", "queue:desk-action", "queue:my-move", "queue:my-appointment-action",
    "prescriptions:cancel", "prescriptions:pharmacy-dispense", "prescriptions:pharmacy-refuse",
    "referrals:cancel", "referrals:decide", "clinics:visit-start", "clinics:visit-addendum",
    "clinics:stay-note", "clinics:stay-transfer", "clinics:stay-discharge",
    "api-patient-temporary", "api-patient-break-glass", "api-patient-merge",
    "api-patient-attachment", "api-patient-representatives", "api-patient-allergies",
    "api-patient-conditions", "api-patient-allergy", "api-patient-allergy-end",
    "api-patient-condition", "api-queue-call-next", "api-queue-recall", "api-queue-no-show",
    "api-queue-complete", "api-queue-transfer", "api-queue-cancel", "api-queue-move",
    "api-queue-check-in", "api-prescription-cancel", "api-pharmacy-dispense",
    "api-pharmacy-refuse", "api-lab-result-release", "api-lab-result-correction",
    "api-referral-accept", "api-referral-decline", "api-referral-cancel", "api-visit-close",
    "api-visit-addenda", "api-stay-transfer", "api-stay-notes", "api-stay-discharge",
    "clinics:visit-close", "clinics:visit-draft", "clinics:visit-draft-discard",
    "patients:allergy-add", "patients:allergy-correct", "patients:allergy-end",
    "patients:condition-add", "patients:condition-correct", "patients:no-known-allergies",
    "inbox:acknowledge", "mch:pregnancy-new", "mch:antenatal-visit", "mch:outcome",
    "mch:newborn-discharge",
    "mch:vaccination", "mch:exemption", "mch:growth", "mch:aefi-new", "mch:aefi-investigate",
    "patronage:hand-over",
}


def url_names(patterns=None, namespace=None):
    """Every URL name of the site but the admin's, namespaced as `reverse` takes it."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace != "admin":
                yield from url_names(pattern.url_patterns, pattern.namespace or namespace)
        elif pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_has_a_rule():
    names = set(url_names())
    listed = RULES.keys() | NO_CARD_DATA | WRITES
    assert names - listed == set(), "URLs without a rule"
    assert listed - names == set(), "rules of no URL"


def shown_sections(world: World, content: str) -> set:
    return {section for section, texts in world.markers.items()
            if any(text in content for text in texts)}


def compare(world: World, name: str, rule_: Rule, role: str, status: int, content: str
            ) -> list[str]:
    """What is wrong with this answer to this role, against the rule and the matrix.
    `content` is the answer as text, without its own address (which pages repeat, e.g.
    in the language switcher, and which holds record ids)."""
    problems = []
    seen = NEED_TO_KNOW[role]
    shown = shown_sections(world, content)
    if shown - rule_.shows:
        problems.append(f"{name} shows sections its rule does not list: {shown - rule_.shows}")
    if shown - seen:
        problems.append(f"{name} shows {role} what need-to-know hides: {shown - seen}")
    if rule_.needs not in seen and status == 200:
        problems.append(f"{name} opens for {role}, who does not see {rule_.needs}")
    if role in rule_.opens_for and status != 200:
        problems.append(f"{name} refuses {role} ({status})")
    if (status == 200 and role in rule_.opens_for and rule_.marked
            and rule_.needs in world.markers and rule_.needs not in shown):
        problems.append(f"{name} opens for {role} without showing {rule_.needs}")
    return problems


def _text(answer, path: str) -> str:
    if not answer["Content-Type"].startswith(("text/", "application/json")):
        return ""  # a PDF: its text is compressed (tests/clinics reads lab PDFs)
    return answer.content.decode().replace(path.split("?")[0], "")


@pytest.mark.django_db
def test_every_role_sees_what_need_to_know_allows(world, client):
    """One test, as the demo world takes a while to seed: the walk, then the proof that
    it fails a page showing a section its rule leaves out."""
    problems = []
    users = {role: User.objects.get(username=username) for role, username in ROLE_USERS.items()}
    with translation.override("en"):
        for role, user in users.items():
            client.force_login(user)
            for name, rule_ in RULES.items():
                path = rule_.path(world)
                assert path is not None, f"the demo world has no record for {name}"
                answer = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
                problems += compare(world, name, rule_, role, answer.status_code,
                                    _text(answer, path))
    assert problems == [], "\n".join(problems)

    client.force_login(users[Role.CLINICIAN])
    card_rule = RULES["patients:card"]
    content = _text(client.get(card_rule.path(world)), card_rule.path(world))
    assert compare(world, "patients:card", card_rule, Role.CLINICIAN, 200, content) == []
    without_allergies = replace(card_rule, shows=card_rule.shows - {S.ALLERGIES})
    problems = compare(world, "patients:card", without_allergies, Role.CLINICIAN, 200, content)
    assert problems == [
        f"patients:card shows sections its rule does not list: { {S.ALLERGIES}}"]

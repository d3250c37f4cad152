"""What the FHIR interface reads, built on the apps' own selectors and access helpers.

Every read of a patient's records goes through `patients.access.card_for` (or the visit,
stay and result selectors built on it) with the object type of the page or endpoint it
mirrors, so scope, need-to-know, break-the-glass and the audit trail apply unchanged: the
client's account is the actor, its staff record the facility. Registries (facilities,
staff) are not patient data and are read as the registry pages read them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef, Prefetch, Q, prefetch_related_objects
from django.http import Http404

from clinics.labs.models import LabOrder, LabOrderItem, LabResult
from clinics.labs.selectors import laboratory_order, released_result
from clinics.labs.services import ORDER_OBJECT, RESULT_OBJECT
from clinics.referrals.models import Referral
from clinics.referrals.services import REFERRAL_OBJECT
from clinics.stays.models import Stay, StayDiagnosis
from clinics.stays.selectors import STAY_OBJECT, stay_for
from clinics.visits.models import Visit, VisitDiagnosis
from clinics.visits.selectors import DIAGNOSIS_OBJECT, VISIT_OBJECT, VITALS_OBJECT, visit_for
from dmed.audit import record_list_event
from dmed.models import AuditAction, User
from dmed.paging import Page, keyset_page
from dmed.roles import Role
from dmed.translit import search_key
from fhir import identifiers, mapping
from fhir.paging import Source, merged_page
from patients.access import (
    CARD_OBJECT,
    SECTION_OF_OBJECT,
    card_for,
    of_card,
    record_access,
    sees,
    visible_cards,
    visible_scope,
)
from patients.identifiers import normalise_document_number, normalise_med_id
from patients.models import Allergy, CardStatus, PatientCard, Representation
from patients.selectors import card_access_log
from prescriptions.models import DispensingLine, Drug, Prescription
from prescriptions.selectors import (
    LIST_ORDER,
    PRESCRIPTION_OBJECT,
    prescription_for_reader,
    with_details,
)
from queues.models import Appointment
from queues.selectors import APPOINTMENT_OBJECT, appointment_for, service_point_for, service_points
from registry.models import Department, Facility, StaffRecord

VITAL_FIELDS = [field for _code, _display, field, _unit in mapping.VITALS]


def _where(records, **conditions):
    """The records matching each condition given; an empty search parameter matches all."""
    return records.filter(**{lookup: value for lookup, value in conditions.items() if value})


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError as error:
        raise Http404 from error


# ------------------------------------------------------------------------------ Patient


def _cards(user: User):
    return (visible_cards(user).select_related("attached_facility", "region", "district")
            .prefetch_related("documents"))


def patient(user: User, med_id: str):
    """The card, as the card page reads it (audited as a view of the card)."""
    card = card_for(user, med_id).card
    prefetch_related_objects([card], "documents")
    return card


def _holding_identifier(cards, system: str | None, value: str):
    """The cards holding the identifier. A passport's number is a row of the card's
    documents, so only those searches join them and need DISTINCT (a sort of whole card
    rows, most of a lookup's database time when the join cannot repeat a card)."""
    cards = cards.filter(_identifier_condition(system, value))
    row = identifiers.system_named(system) if system is not None else None
    return cards if row in (identifiers.HEALTH_CARD, identifiers.PINFL) else cards.distinct()


def _identifier_condition(system: str | None, value: str) -> Q:
    med_id, document = normalise_med_id(value), normalise_document_number(value)
    if system is None:
        return (Q(med_id=med_id) | Q(pinfl=value)
                | Q(documents__number=document, documents__country=""))
    row = identifiers.system_named(system)
    if row is identifiers.HEALTH_CARD:
        return Q(med_id=med_id)
    if row is identifiers.PINFL:
        return Q(pinfl=value)
    if row is identifiers.PASSPORT_LOCAL:
        return Q(documents__number=document, documents__country="")
    country = identifiers.foreign_passport_country(system)
    if country:
        return Q(documents__number=document, documents__country=country)
    # A system the portal keeps no patient identifier under matches nobody.
    return Q(pk__in=[])


@dataclass(frozen=True)
class PatientQuery:
    identifier: tuple[str | None, str] | None = None
    name: str = ""
    birthdate: tuple = ()  # fhir.search.DateCondition
    last_updated: tuple = ()  # fhir.search.DateCondition
    text: str = ""  # the query as sent, for the audit row


def search_patients(user: User, query: PatientQuery, *, cursor: str | None,
                    limit: int) -> Page:
    """Cards the user may open that match, by name order; audited as the card search."""
    page = _by_identifier_alone(user, query, limit) if cursor is None else None
    if page is None:
        page = _patients_page(user, query, cursor=cursor, limit=limit)
    record_list_event(actor=user, action=AuditAction.SEARCH, object_type=CARD_OBJECT,
                      shown=[(card.med_id, card.med_id) for card in page.results],
                      reason=query.text[:200])
    return page


def _by_identifier_alone(user: User, query: PatientQuery, limit: int) -> Page | None:
    """A search by identifier alone, the integrators' usual one: the few cards holding it,
    each checked against the user's scope as opening a card is (`Scope.contains`, on the
    card's own fields first), instead of a query over every branch of the scope. None when
    other parameters narrow it or more than a page match: the general search answers."""
    if query.identifier is None or query.name or query.birthdate or query.last_updated:
        return None
    cards = list(_holding_identifier(PatientCard.objects.exclude(status=CardStatus.MERGED),
                                     *query.identifier)
                 .select_related("attached_facility", "region", "district")
                 .order_by("search_name", "pk")[:limit + 1])
    if len(cards) > limit:
        return None
    scope = visible_scope(user)
    found = [card for card in cards if scope.contains(card)]
    prefetch_related_objects(found, "documents")
    return Page(results=found, next_cursor=None)


def _patients_page(user: User, query: PatientQuery, *, cursor: str | None,
                   limit: int) -> Page:
    cards = _cards(user)
    if query.identifier is not None:
        cards = _holding_identifier(cards, *query.identifier)
    if query.name:
        key = search_key(query.name)
        # Any word of the name starts so (FHIR's `name` matches any part, by prefix).
        cards = cards.filter(Q(search_name__startswith=key)
                             | Q(search_name__contains=f" {key}")) if key else cards.none()
    for condition in query.birthdate:
        cards = cards.filter(**condition.date_lookups("birth_date"))
    cards = _dated(cards, "updated_at", query.last_updated)
    return keyset_page(cards, order=("search_name", "pk"), cursor=cursor, limit=limit)


# ---------------------------------------------------------------- Organization, staff


def _facilities():
    return Facility.objects.select_related("region", "district", "parent")


def organization(code: str) -> Facility:
    facility = _facilities().filter(code=code).first()
    if facility is None:
        raise Http404
    return facility


def search_organizations(*, identifier: tuple[str | None, str] | None, name: str,
                         cursor: str | None, limit: int) -> Page:
    facilities = _facilities()
    if identifier is not None:
        system, value = identifier
        row = identifiers.system_named(system) if system else None
        if system is None:
            facilities = facilities.filter(Q(tax_id=value) | Q(shif_code=value)
                                           | Q(code=value))
        elif row is identifiers.TAX_ID:
            facilities = facilities.filter(tax_id=value)
        elif row is identifiers.SHIF:
            facilities = facilities.filter(shif_code=value)
        else:
            facilities = facilities.none()
    if name:
        facilities = facilities.filter(name__icontains=name)
    return keyset_page(facilities, order=("code",), cursor=cursor, limit=limit)


def _practitioners():
    # People with a post; the FHIR clients' own system accounts are not practitioners.
    return (User.objects.filter(staff_records__isnull=False,
                                oauth2_provider_application__isnull=True).distinct()
            .prefetch_related(Prefetch("staff_records",
                                       StaffRecord.objects.select_related("facility"))))


def practitioner(practitioner_id: str) -> User:
    """A person by their FHIR id, their account's public ID (mapping.practitioner_id)."""
    user = _practitioners().filter(public_id=_uuid(practitioner_id)).first()
    if user is None:
        raise Http404
    return user


def search_practitioners(*, identifier: tuple[str | None, str] | None, name: str,
                         cursor: str | None, limit: int) -> Page:
    users = _practitioners()
    if identifier is not None:
        system, value = identifier
        if system is None or identifiers.system_named(system) is identifiers.ARGOS:
            users = users.filter(staff_records__argos_id=value)
        else:
            users = users.none()
    if name:
        users = users.filter(staff_records__search_text__contains=search_key(name))
    return keyset_page(users, order=("public_id",), cursor=cursor, limit=limit)


def _roles():
    return StaffRecord.objects.select_related("user", "facility").filter(
        user__oauth2_provider_application__isnull=True)


def practitioner_role(role_id: str) -> StaffRecord:
    practitioner_id, _dot, rest = role_id.partition(".")
    facility_code, _dot, role = rest.rpartition(".")
    record = (_roles().filter(user__public_id=_uuid(practitioner_id),
                              facility__code=facility_code, role=role.replace("-", "_"))
              .order_by("-active_from").first())
    if record is None:
        raise Http404
    return record


def search_practitioner_roles(*, practitioner_id: str, organization_id: str,
                              cursor: str | None, limit: int) -> Page:
    records = _where(_roles(), facility__code=organization_id)
    if practitioner_id:
        try:
            records = records.filter(user__public_id=uuid.UUID(practitioner_id))
        except ValueError:  # no account has such an id
            records = records.none()
    return keyset_page(records, order=("pk",), cursor=cursor, limit=limit)


# -------------------------------------------------- Encounter, Condition, Observation


def _visits(card):
    return Visit.objects.filter(of_card(card)).select_related("card", "facility", "clinician")


def _stays(card):
    return Stay.objects.filter(of_card(card)).select_related(
        "card", "facility", "admitted_by", "discharged_by")


def _dated(records, field: str, conditions):
    for condition in conditions:
        records = records.filter(**condition.lookups(field))
    return records


def search_encounters(user: User, med_id: str, *, dates, cursor, limit):
    """A card's visits and stays, newest first: audited as the card's visit and stay lists."""
    card = card_for(user, med_id, action=AuditAction.LIST, object_type=VISIT_OBJECT).card
    card_for(user, med_id, action=AuditAction.LIST, object_type=STAY_OBJECT)
    page = merged_page([
        Source("visit", _dated(_visits(card), "opened_at", dates), "opened_at"),
        Source("stay", _dated(_stays(card), "admitted_at", dates), "admitted_at"),
    ], cursor=cursor, limit=limit)
    return card, page


def encounter(user: User, resource_id: str, *, diagnoses: bool = False):
    """A visit or a stay by its Encounter id; `diagnoses`: read for its diagnoses, which
    need their own section of the card."""
    if resource_id.startswith(mapping.VISIT_PREFIX):
        return "visit", visit_for(user, _uuid(resource_id.removeprefix(mapping.VISIT_PREFIX)),
                                  object_type=DIAGNOSIS_OBJECT if diagnoses else VISIT_OBJECT)
    if resource_id.startswith(mapping.STAY_PREFIX):
        return "stay", stay_for(user, _uuid(resource_id.removeprefix(mapping.STAY_PREFIX)),
                                object_type=DIAGNOSIS_OBJECT if diagnoses else STAY_OBJECT)
    raise Http404


def search_conditions(user: User, med_id: str, *, dates, cursor, limit):
    """Diagnoses of a card's visits and (final) of its stays, newest first, for the roles
    that see diagnoses; audited as the card's list of diagnoses."""
    card = card_for(user, med_id, action=AuditAction.LIST, object_type=DIAGNOSIS_OBJECT).card
    visit_diagnoses = VisitDiagnosis.objects.filter(of_card(card, "visit__card")).select_related(
        "visit__card", "code")
    stay_diagnoses = StayDiagnosis.objects.filter(
        of_card(card, "stay__card"), stay__discharged_at__isnull=False).select_related(
        "stay__card", "code")
    page = merged_page([
        Source("visit", _dated(visit_diagnoses, "visit__opened_at", dates), "visit__opened_at"),
        Source("stay", _dated(stay_diagnoses, "stay__discharged_at", dates),
               "stay__discharged_at"),
    ], cursor=cursor, limit=limit)
    return card, page


def condition(user: User, resource_id: str):
    parent_id, _dot, code = resource_id.rpartition(".")
    kind, parent = encounter(user, parent_id, diagnoses=True)
    found = next((d for d in parent.diagnoses.all() if d.code_id == code), None)
    if found is None or (kind == "stay" and parent.discharged_at is None):
        raise Http404
    return kind, found


LABORATORY, VITAL_SIGNS = "laboratory", "vital-signs"


def vitals_measured() -> Q:
    """Visits with a vital sign measured: those that have a vital signs Observation."""
    measured = Q()
    for field in VITAL_FIELDS:
        measured |= Q(**{f"{field}__isnull": False})
    return measured


def search_observations(user: User, med_id: str, *, categories: set[str], codes, dates,
                        cursor, limit):
    """Released lab results (their current versions) and visits' vital signs, newest
    first: audited as the card's results and visit list. `codes` (LOINC), when given,
    keeps the tests of those codes and the vital signs panel if it is one of them."""
    sources = []
    card = None
    if codes is not None and mapping.VITALS_PANEL not in codes:
        categories = categories - {VITAL_SIGNS}
    if LABORATORY in categories:
        card = card_for(user, med_id, action=AuditAction.LIST, object_type=RESULT_OBJECT).card
        corrected = LabResult.objects.filter(corrects=OuterRef("pk"), released_at__isnull=False)
        results = (LabResult.objects.filter(of_card(card), released_at__isnull=False)
                   .exclude(Exists(corrected)).select_related("card", "test"))
        if codes is not None:
            results = results.filter(test__loinc__in=codes)
        sources.append(Source("lab", _dated(results, "sampled_at", dates), "sampled_at"))
    if VITAL_SIGNS in categories:
        card = card_for(user, med_id, action=AuditAction.LIST, object_type=VITALS_OBJECT).card
        sources.append(Source("vitals", _dated(_visits(card).filter(vitals_measured()),
                                               "opened_at", dates), "opened_at"))
    return card, merged_page(sources, cursor=cursor, limit=limit)


def observation(user: User, resource_id: str):
    if resource_id.startswith(mapping.LAB_PREFIX):
        return "lab", released_result(user, _uuid(resource_id.removeprefix(mapping.LAB_PREFIX)))
    if resource_id.startswith(mapping.VITALS_PREFIX):
        visit = visit_for(user, _uuid(resource_id.removeprefix(mapping.VITALS_PREFIX)),
                          object_type=VITALS_OBJECT)
        if mapping.has_vitals(visit):
            return "vitals", visit
    raise Http404


# ----------------------------------------------------------------- representatives

# The demographics section of the need-to-know matrix (patients.access.SECTION_OF_OBJECT).
REPRESENTATIVE_OBJECT = "patients.representative"


def _representations():
    return Representation.objects.select_related("card", "representative")


def search_related_persons(user: User, med_id: str, *, cursor, limit) -> Page:
    """The card's representatives, past and present (and those of cards merged into it)."""
    card = card_for(user, med_id, action=AuditAction.LIST,
                    object_type=REPRESENTATIVE_OBJECT).card
    return keyset_page(_representations().filter(of_card(card)), order=("valid_from", "pk"),
                       cursor=cursor, limit=limit)


def related_person(user: User, resource_id: str) -> Representation:
    """One representation by its id (mapping.related_person_id); anything else is 404."""
    med_id, _dot, rest = resource_id.partition(".")
    person, _dot, began = rest.partition(".")
    try:
        valid_from = date.fromisoformat(began)  # YYYYMMDD, as mapping writes it
    except ValueError:
        raise Http404 from None
    found = _representations().filter(card__med_id=med_id, valid_from=valid_from,
                                       representative__public_id=_uuid(person)).first()
    if found is None:
        raise Http404
    record_access(user, found.card, object_type=REPRESENTATIVE_OBJECT, object_id=resource_id)
    return found


# ------------------------------------------------------ allergies and the access log

# The allergies section of the need-to-know matrix (patients.access.SECTION_OF_OBJECT).
ALLERGY_OBJECT = "patients.allergy"


def search_allergies(user: User, med_id: str, *, updated, cursor, limit) -> Page:
    """The card's allergies, current and ended, as its clinical summary lists them."""
    card = card_for(user, med_id, action=AuditAction.LIST, object_type=ALLERGY_OBJECT).card
    allergies = _dated(Allergy.objects.filter(of_card(card)), "changed_at", updated
                       ).select_related("card", "recorded_by")
    return keyset_page(allergies, order=("substance", "pk"), cursor=cursor, limit=limit)


def allergy(user: User, resource_id: str) -> Allergy:
    found = (Allergy.objects.filter(public_id=_uuid(resource_id))
             .select_related("card", "recorded_by").first())
    if found is None:
        raise Http404
    record_access(user, found.card, object_type=ALLERGY_OBJECT, object_id=found.public_id)
    return found


def access_log(user: User, med_id: str):
    """Who opened the card (patients.selectors.card_access_log): the patient's to read, and
    administrators' (the national platform) to review; anyone else is refused there."""
    events = card_access_log(user, med_id)
    return card_for(user, med_id, record_success=False).card, events


# ------------------------------------------------------------- medicines and prescriptions


def medication(resource_id: str) -> Drug:
    drug = Drug.objects.filter(pk=int(resource_id)).first() if resource_id.isdigit() else None
    if drug is None:
        raise Http404
    return drug


def search_medications(*, atc_code: str | None, active: bool | None, cursor, limit) -> Page:
    """The drug registry (no patient data), by ATC code (a group's prefix finds its drugs)
    and status, in the registry's order."""
    drugs = Drug.objects.all()
    if atc_code is not None:
        drugs = drugs.filter(atc_code__startswith=atc_code.upper())
    if active is not None:
        drugs = drugs.filter(is_active=active)
    return keyset_page(drugs, order=("pk",), cursor=cursor, limit=limit)


def drugs_by_id(ids) -> list[Drug]:
    return list(Drug.objects.filter(pk__in=set(ids)).order_by("pk"))


def medication_request(user: User, resource_id: str):
    """One item of a prescription, for whoever may read the prescription (its code's
    existence does not leak: anyone else gets 404)."""
    code, _dot, line = resource_id.rpartition(".")
    if not line.isdigit():
        raise Http404
    prescription = prescription_for_reader(user, code)
    item = next((item for item in prescription.items.all() if item.line == int(line)), None)
    if item is None:
        raise Http404
    return prescription, item


def search_medication_requests(user: User, med_id: str, *, item_statuses, dates, updated,
                               cursor, limit) -> Page:
    """A card's prescriptions, newest first as its prescriptions list pages them (audited
    as that list); each brings the items of the statuses asked for."""
    card = card_for(user, med_id, action=AuditAction.LIST, object_type=PRESCRIPTION_OBJECT).card
    prescriptions = _dated(_dated(Prescription.objects.filter(of_card(card, "patient")),
                                  "issued_at", dates), "updated_at", updated)
    if item_statuses is not None:
        prescriptions = prescriptions.filter(items__status__in=item_statuses).distinct()
    return keyset_page(with_details(prescriptions), order=LIST_ORDER, cursor=cursor,
                       limit=limit)


def dispensed_lines():
    return DispensingLine.objects.select_related(
        "item__drug", "dispensing__pharmacy", "dispensing__pharmacist",
        "dispensing__prescription__patient")


def medication_dispense(user: User, resource_id: str) -> DispensingLine:
    """One line of a dispensing, for whoever may read its prescription (else 404)."""
    public_id, _dot, line = resource_id.rpartition(".")
    found = (dispensed_lines().filter(dispensing__public_id=_uuid(public_id),
                                       item__line=int(line)).first()
             if line.isdigit() else None)
    if found is None:
        raise Http404
    prescription_for_reader(user, found.dispensing.prescription.code)
    return found


def search_medication_dispenses(user: User, med_id: str, *, dates, cursor, limit) -> Page:
    """What pharmacies gave out against a card's prescriptions, newest first: audited as
    the card's prescriptions list."""
    card = card_for(user, med_id, action=AuditAction.LIST, object_type=PRESCRIPTION_OBJECT).card
    lines = _dated(dispensed_lines().filter(of_card(card, "dispensing__prescription__patient")),
                   "dispensing__dispensed_at", dates)
    return merged_page([Source("dispense", lines, "dispensing__dispensed_at")],
                       cursor=cursor, limit=limit)


# ------------------------------------------------- lab orders, reports and referrals

def lab_orders():
    return LabOrder.objects.select_related("card", "laboratory", "ordered_by", "visit")


def report_parts(order) -> tuple[list, list]:
    """(the current version of each released test, the released versions corrected since),
    from the order's prefetched items (`with_released`)."""
    tests = [item.released for item in order.items.all() if item.released]
    return ([versions[-1] for versions in tests],
            [result for versions in tests for result in versions[:-1]])


def with_released(orders):
    released = LabResult.objects.filter(released_at__isnull=False).order_by("version")
    items = (LabOrderItem.objects.select_related("test").order_by("test__code")
             .prefetch_related(Prefetch("results", released, to_attr="released")))
    return orders.prefetch_related(Prefetch("items", items))


def diagnostic_report(user: User, resource_id: str):
    """A lab order's released results, for whoever may open the card's results; an order
    with nothing released has no report (unreleased values do not exist outside the lab)."""
    order = with_released(lab_orders().filter(public_id=_uuid(resource_id))).first()
    if order is None:
        raise Http404
    card_for(user, order.card.med_id, object_type=RESULT_OBJECT)
    if not report_parts(order)[0]:
        raise Http404
    return order


def search_diagnostic_reports(user: User, med_id: str, *, dates, cursor, limit) -> Page:
    """A card's lab orders with released results, newest first: audited as its results."""
    card = card_for(user, med_id, action=AuditAction.LIST, object_type=RESULT_OBJECT).card
    released = LabResult.objects.filter(item__order=OuterRef("pk"), released_at__isnull=False)
    orders = _dated(lab_orders().filter(of_card(card), Exists(released)), "ordered_at", dates)
    return keyset_page(with_released(orders), order=("-ordered_at", "-pk"), cursor=cursor,
                       limit=limit)


def ordered_tests():
    released = LabResult.objects.filter(item=OuterRef("pk"), released_at__isnull=False)
    return (LabOrderItem.objects.select_related("test", "order__card", "order__laboratory",
                                                "order__ordered_by", "order__visit")
            .annotate(released=Exists(released)))


def referrals():
    return Referral.objects.select_related("card", "referred_by", "to_clinician",
                                           "to_facility", "to_department__facility",
                                           "diagnosis")


def service_request(user: User, resource_id: str):
    """A referral, or one test of a lab order: for whoever may open the card's referrals or
    lab orders, and for the laboratory the order is sent to (its own orders only)."""
    if resource_id.startswith(mapping.REFERRAL_PREFIX):
        referral = referrals().filter(
            public_id=_uuid(resource_id.removeprefix(mapping.REFERRAL_PREFIX))).first()
        if referral is None:
            raise Http404
        record_access(user, referral.card, object_type=REFERRAL_OBJECT,
                      object_id=referral.public_id)
        return "referral", referral
    order_id, _dot, test_code = resource_id.partition(".")
    item = ordered_tests().filter(order__public_id=_uuid(order_id),
                                   test__code=test_code).first()
    if user.role == Role.LAB_TECHNICIAN:
        laboratory_order(user, _uuid(order_id))  # 404 unless it is this laboratory's
    elif item is not None:
        card_for(user, item.order.card.med_id, object_type=ORDER_OBJECT)
    if item is None:
        raise Http404
    return "lab", item


LAB_ORDERS, REFERRALS = "laboratory", "referral"


def search_service_requests(user: User, med_id: str, *, categories, dates, cursor,
                            limit) -> Page:
    """A card's ordered lab tests and referrals, newest first: audited as its lab orders
    and referrals."""
    sources, card = [], None
    if LAB_ORDERS in categories:
        card = card_for(user, med_id, action=AuditAction.LIST, object_type=ORDER_OBJECT).card
        tests = _dated(ordered_tests().filter(of_card(card, "order__card")),
                       "order__ordered_at", dates)
        sources.append(Source("lab", tests, "order__ordered_at"))
    if REFERRALS in categories:
        card = card_for(user, med_id, action=AuditAction.LIST, object_type=REFERRAL_OBJECT).card
        sources.append(Source("referral", _dated(referrals().filter(of_card(card)),
                                                 "created_at", dates), "created_at"))
    return merged_page(sources, cursor=cursor, limit=limit)


# ------------------------------------------------------- appointments and where they are


def appointment(user: User, resource_id: str) -> Appointment:
    """For the patient and the staff of the point's facility, as the queue pages; anyone
    else gets 404."""
    return appointment_for(user, _uuid(resource_id))


def search_appointments(user: User, med_id: str, *, statuses, dates, updated, cursor,
                        limit) -> Page:
    """A card's appointments, latest first: audited as its appointments list."""
    card = card_for(user, med_id, action=AuditAction.LIST, object_type=APPOINTMENT_OBJECT).card
    bookings = _dated(Appointment.objects.filter(of_card(card)).select_related(
        "card", "service_point__practitioner", "referral"), "starts_at", dates)
    bookings = _dated(bookings, "changed_at", updated)
    if statuses is not None:
        bookings = bookings.filter(status__in=statuses)
    return keyset_page(bookings, order=("-starts_at", "-pk"), cursor=cursor, limit=limit)


def healthcare_service(resource_id: str):
    return service_point_for(_uuid(resource_id))


def search_healthcare_services(*, organization_id: str, cursor, limit) -> Page:
    """Active service points (no patient data), of one facility when asked."""
    return keyset_page(service_points(facility_code=organization_id), order=("pk",),
                       cursor=cursor, limit=limit)


def _departments():
    return Department.objects.select_related("facility")


def location(resource_id: str) -> Department:
    facility_code, _dot, code = resource_id.rpartition(".")
    department = _departments().filter(facility__code=facility_code, code=code).first()
    if department is None:
        raise Http404
    return department


def search_locations(*, organization_id: str, name: str, cursor, limit) -> Page:
    departments = _where(_departments(), facility__code=organization_id, name__icontains=name)
    return keyset_page(departments, order=("pk",), cursor=cursor, limit=limit)


# The kinds of record each type's search reads (need-to-know decides per kind).
RECORDS_OF_TYPE = {
    "Encounter": (VISIT_OBJECT, STAY_OBJECT), "Condition": (DIAGNOSIS_OBJECT,),
    "Observation": (RESULT_OBJECT, VITALS_OBJECT), "AllergyIntolerance": (ALLERGY_OBJECT,),
    "MedicationRequest": (PRESCRIPTION_OBJECT,), "MedicationDispense": (PRESCRIPTION_OBJECT,),
    "DiagnosticReport": (RESULT_OBJECT,), "ServiceRequest": (ORDER_OBJECT, REFERRAL_OBJECT),
    "Appointment": (APPOINTMENT_OBJECT,), "Provenance": (VISIT_OBJECT, PRESCRIPTION_OBJECT),
    "RelatedPerson": (REPRESENTATIVE_OBJECT,),
}


def sees_records(user: User, resource_type: str) -> bool:
    """Does the user's role see every kind of record a search of this type reads? A card's
    $everything leaves out the others rather than be refused for them."""
    return all(sees(user, SECTION_OF_OBJECT[kind]) for kind in RECORDS_OF_TYPE[resource_type])


# ----------------------------------------------------------------------------- Provenance


def provenance(user: User, resource_id: str):
    """The signature of a closed visit, or of a prescription (for its readers only)."""
    if resource_id.startswith(mapping.RX_PREFIX):
        return "prescription", prescription_for_reader(
            user, resource_id.removeprefix(mapping.RX_PREFIX))
    kind, record = encounter(user, resource_id)
    if kind != "visit" or record.closed_at is None:
        raise Http404
    return "visit", record


def search_provenance(user: User, med_id: str, *, dates, cursor, limit):
    """The signatures on a card, newest first: its closed visits and its prescriptions,
    audited as the card's visit and prescription lists."""
    card = card_for(user, med_id, action=AuditAction.LIST, object_type=VISIT_OBJECT).card
    card_for(user, med_id, action=AuditAction.LIST, object_type=PRESCRIPTION_OBJECT)
    closed = _visits(card).filter(closed_at__isnull=False)
    prescriptions = with_details(Prescription.objects.filter(of_card(card, "patient")))
    return merged_page([
        Source("visit", _dated(closed, "closed_at", dates), "closed_at"),
        Source("prescription", _dated(prescriptions, "issued_at", dates), "issued_at"),
    ], cursor=cursor, limit=limit)


# ------------------------------------------------------------------ what writes find

DISPENSING_OBJECT = "prescriptions.dispensing"  # as the pharmacy's receipt audits it


def pharmacy_dispense_lines(by, *, idempotency_key: str = "", prescription_code: str = "",
                            line: int | None = None, dispensing_id=None) -> list[DispensingLine]:
    """The lines this pharmacy dispensed that match (a conditional create's search, or the
    dispensing just made): another pharmacy's are never found. Each dispensing found is
    audited as the pharmacy's receipt page audits it."""
    lines = dispensed_lines().filter(dispensing__pharmacy=by.pharmacy)
    if idempotency_key:
        lines = lines.filter(dispensing__idempotency_key=idempotency_key)
    if prescription_code:
        lines = lines.filter(dispensing__prescription__code=prescription_code)
    if line is not None:
        lines = lines.filter(item__line=line)
    if dispensing_id is not None:
        lines = lines.filter(dispensing__public_id=dispensing_id)
    found = list(lines.order_by("dispensing__dispensed_at", "item__line")[:10])
    for dispensing in {line.dispensing.public_id: line.dispensing for line in found}.values():
        by.audit(action=AuditAction.VIEW, object_type=DISPENSING_OBJECT,
                 object_id=str(dispensing.public_id),
                 patient_med_id=dispensing.prescription.patient.med_id)
    return found



def dispensed_line(dispensing, line: int) -> DispensingLine:
    """A line of the dispensing just made (or replayed), to answer with: the write itself
    is audited."""
    return dispensed_lines().get(dispensing__public_id=dispensing.public_id, item__line=line)

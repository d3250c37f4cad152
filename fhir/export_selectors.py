"""What a FHIR bulk export reads: the population it covers and, per resource type, the
record sources written to its files, each with the mapping function the reads use.

The population is what the client's account may open (`patients.access.visible_cards`,
the national platform's administrator account every card), narrowed to a Group: the
patients attached to one facility (`Group/<facility code>`), the population a national
platform asks of a polyclinic or a district's facility. Records of a card merged into
one of them come with it, as every read of a card brings them (`Population.records`). A
kind of record is exported only when the account's role sees its section on a card
(need-to-know, as every read): the administrator of the national platform gets visits,
appointments and referrals, not hospital stays, results, vital signs or prescriptions, as
on the pages.
Each source serves the rows a read of its type serves, built with the read's joins
(fhir.selectors), so a chunk costs the same few queries however many rows it holds.

`_since` keeps what may have changed after it, each by the timestamps that move when its
record does:
- Patient: the card's last change (`updated_at`).
- Encounter, Condition, vital signs Observation: visits and stays still open, or closed
  (discharged) after it: a closed visit is signed and no longer changes, and a stay's
  diagnoses are served once it is discharged.
- lab Observation: released after it. Every released version is served, as reads serve
  it by id (a DiagnosticReport names the replaced ones); a released version is frozen (a
  trigger), a correction is a new version released later.
- DiagnosticReport: an order with a result released after it (the report is its released
  results, nothing else in it changes).
- ServiceRequest: an ordered test placed after it or with a result released after it (its
  status follows the release); a referral created, decided or cancelled after it.
- MedicationRequest: an item of a prescription still open (issued or partly dispensed:
  its items may still be dispensed, refused or cancelled, which does not always touch the
  prescription) or changed after it (`updated_at`: every status the prescription settles
  in, dispensed, cancelled or expired, moves it).
- MedicationDispense: handed over after it (a receipt never changes).
- AllergyIntolerance: changed after it (`changed_at`, set by each edit and by ending it).
- Provenance: a visit closed (signed) after it, a prescription issued (signed) after it
  or in its second (`issued_at` is signed to the second); a signature never changes.
- Appointment: changed after it (`changed_at`, moved by each change of status).
  Both also when their card changed after it: merging cards moves a card's allergies and
  appointments to the surviving card (its `updated_at` moves) without touching them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404

from clinics.labs.models import LabResult
from clinics.labs.services import ORDER_OBJECT, RESULT_OBJECT
from clinics.referrals.services import REFERRAL_OBJECT
from clinics.stays.models import Stay, StayDiagnosis
from clinics.stays.selectors import STAY_OBJECT
from clinics.visits.models import Visit, VisitDiagnosis
from clinics.visits.selectors import DIAGNOSIS_OBJECT, VISIT_OBJECT, VITALS_OBJECT
from dmed.models import User
from fhir import mapping, selectors
from fhir.models import ExportJob, FhirClient
from patients.access import CARD_OBJECT, SECTION_OF_OBJECT, sees, visible_cards, visible_scope
from patients.models import Allergy
from prescriptions.models import DISPENSABLE_STATUSES, Prescription, PrescriptionItem
from prescriptions.selectors import PRESCRIPTION_OBJECT, with_details
from queues.models import Appointment
from queues.selectors import APPOINTMENT_OBJECT
from registry.models import Facility


@dataclass(frozen=True)
class Population:
    account: User
    group: Facility | None
    since: datetime | None

    def cards(self) -> QuerySet:
        cards = visible_cards(self.account)
        return cards if self.group is None else cards.filter(attached_facility=self.group)

    def everyone(self) -> bool:
        return self.group is None and visible_scope(self.account).as_q() is None

    def records(self, records: QuerySet, card: str) -> QuerySet:
        """The records of the population's cards (and of the cards merged into them)."""
        if self.everyone():
            return records
        cards = self.cards()
        return records.filter(Q(**{f"{card}__in": cards})
                              | Q(**{f"{card}__merged_into__in": cards}))


def _open_or_closed_since(field: str, since: datetime | None) -> Q:
    return Q() if since is None else Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gt": since})


def _patients(population: Population) -> QuerySet:
    cards = population.cards().select_related("attached_facility", "region", "district")
    if population.since is not None:
        cards = cards.filter(updated_at__gt=population.since)
    return cards.prefetch_related("documents")


def _visits(population: Population) -> QuerySet:
    visits = Visit.objects.select_related("card", "facility", "clinician").filter(
        _open_or_closed_since("closed_at", population.since))
    return population.records(visits, "card")


def _stays(population: Population) -> QuerySet:
    stays = Stay.objects.select_related("card", "facility", "admitted_by", "discharged_by")
    return population.records(
        stays.filter(_open_or_closed_since("discharged_at", population.since)), "card")


def _visit_diagnoses(population: Population) -> QuerySet:
    diagnoses = VisitDiagnosis.objects.select_related("visit__card", "code").filter(
        _open_or_closed_since("visit__closed_at", population.since))
    return population.records(diagnoses, "visit__card")


def _stay_diagnoses(population: Population) -> QuerySet:
    # A stay's diagnoses are final, and served, once it is discharged.
    diagnoses = StayDiagnosis.objects.select_related("stay__card", "code").filter(
        stay__discharged_at__isnull=False)
    if population.since is not None:
        diagnoses = diagnoses.filter(stay__discharged_at__gt=population.since)
    return population.records(diagnoses, "stay__card")


def _changed_since(since: datetime | None, *fields: str) -> Q:
    """Rows any of whose timestamps moved after `since`; every row when none is given."""
    if since is None:
        return Q()
    changed = Q(pk__in=[])
    for field in fields:
        changed |= Q(**{f"{field}__gt": since})
    return changed


def _released_since(since: datetime | None, **outer) -> Exists:
    """A result released (after `since`, when given) of the outer row's order or test."""
    released = LabResult.objects.filter(released_at__isnull=False, **outer)
    return Exists(released if since is None else released.filter(released_at__gt=since))


def _lab_results(population: Population) -> QuerySet:
    # Every released version, as `Observation/<id>` reads it (fhir.selectors.observation).
    results = LabResult.objects.select_related("card", "test").filter(
        released_at__isnull=False).filter(_changed_since(population.since, "released_at"))
    return population.records(results, "card")


def _vital_signs(population: Population) -> QuerySet:
    return _visits(population).filter(selectors.vitals_measured())


def _allergies(population: Population) -> QuerySet:
    allergies = Allergy.objects.select_related("card", "recorded_by").filter(
        _changed_since(population.since, "changed_at", "card__updated_at"))
    return population.records(allergies, "card")


def _prescribed_items(population: Population) -> QuerySet:
    items = PrescriptionItem.objects.select_related(
        "drug", "prescription__patient", "prescription__prescriber",
        "prescription__diagnosis",
    ).annotate(visit_public_id=F("prescription__visit__public_id"))
    if population.since is not None:
        items = items.filter(Q(prescription__status__in=DISPENSABLE_STATUSES)
                             | Q(prescription__updated_at__gt=population.since))
    return population.records(items, "prescription__patient")


def _medication_request(item) -> dict:
    # The read's prescription carries its visit's public ID (prescriptions.selectors
    # .with_details); here the item row does, so each item's prescription is given it.
    item.prescription.visit_public_id = item.visit_public_id
    return mapping.medication_request(item.prescription, item)


def _dispensed_lines(population: Population) -> QuerySet:
    # The line's own copy of its receipt's time (the partition key it joins the receipt by).
    lines = selectors.dispensed_lines().filter(
        _changed_since(population.since, "dispensing_dispensed_at"))
    return population.records(lines, "dispensing__prescription__patient")


def _medication_dispense(line) -> dict:
    return mapping.medication_dispense(line.dispensing, line)


def _reported_orders(population: Population) -> QuerySet:
    # An order with nothing released has no report (fhir.selectors.diagnostic_report).
    orders = selectors.lab_orders().filter(
        _released_since(population.since, item__order=OuterRef("pk")))
    return selectors.with_released(population.records(orders, "card"))


def _diagnostic_report(order) -> dict:
    return mapping.diagnostic_report(order, *selectors.report_parts(order))


def _ordered_tests(population: Population) -> QuerySet:
    tests = selectors.ordered_tests()
    if population.since is not None:
        tests = tests.filter(Q(order__ordered_at__gt=population.since)
                             | _released_since(population.since, item=OuterRef("pk")))
    return population.records(tests, "order__card")


def _lab_service_request(item) -> dict:
    return mapping.lab_service_request(item.order, item, item.released)


def _referrals(population: Population) -> QuerySet:
    referrals = selectors.referrals().filter(_changed_since(
        population.since, "created_at", "decided_at", "cancelled_at"))
    return population.records(referrals, "card")


def _appointments(population: Population) -> QuerySet:
    bookings = Appointment.objects.select_related(
        "card", "service_point__practitioner", "referral").filter(
        _changed_since(population.since, "changed_at", "card__updated_at"))
    return population.records(bookings, "card")


def _signed_visits(population: Population) -> QuerySet:
    # Open visits are not signed yet: a visit's Provenance is its closing.
    return _visits(population).filter(closed_at__isnull=False)


def _signed_prescriptions(population: Population) -> QuerySet:
    prescriptions = Prescription.objects.all()
    if population.since is not None:
        # The signed time is kept to the second: one signed later in since's second reads
        # as earlier than it.
        prescriptions = prescriptions.filter(
            issued_at__gte=population.since.replace(microsecond=0))
    return with_details(population.records(prescriptions, "patient"))


@dataclass(frozen=True)
class Source:
    """One kind of record written as one resource type, read in key order."""

    object_type: str  # the audited kind of record: the role must see its section
    rows: Callable[[Population], QuerySet]
    to_fhir: Callable[[object], dict]


# What $export writes, type by type in this order, each type from its sources in order.
SOURCES: dict[str, tuple[Source, ...]] = {
    "Patient": (Source(CARD_OBJECT, _patients, mapping.patient),),
    "Encounter": (Source(VISIT_OBJECT, _visits, mapping.visit_encounter),
                  Source(STAY_OBJECT, _stays, mapping.stay_encounter)),
    "Condition": (Source(DIAGNOSIS_OBJECT, _visit_diagnoses, mapping.visit_condition),
                  Source(DIAGNOSIS_OBJECT, _stay_diagnoses, mapping.stay_condition)),
    "Observation": (Source(RESULT_OBJECT, _lab_results, mapping.lab_observation),
                    Source(VITALS_OBJECT, _vital_signs, mapping.vitals_observation)),
    "AllergyIntolerance": (Source(selectors.ALLERGY_OBJECT, _allergies,
                                  mapping.allergy_intolerance),),
    "MedicationRequest": (Source(PRESCRIPTION_OBJECT, _prescribed_items, _medication_request),),
    "MedicationDispense": (Source(PRESCRIPTION_OBJECT, _dispensed_lines,
                                  _medication_dispense),),
    "DiagnosticReport": (Source(RESULT_OBJECT, _reported_orders, _diagnostic_report),),
    "ServiceRequest": (Source(ORDER_OBJECT, _ordered_tests, _lab_service_request),
                       Source(REFERRAL_OBJECT, _referrals, mapping.referral_service_request)),
    "Appointment": (Source(APPOINTMENT_OBJECT, _appointments, mapping.appointment),),
    "Provenance": (Source(VISIT_OBJECT, _signed_visits, mapping.visit_provenance),
                   Source(PRESCRIPTION_OBJECT, _signed_prescriptions,
                          mapping.prescription_provenance)),
}
EXPORTABLE = tuple(SOURCES)


def sources_seen(account: User, resource_type: str) -> tuple[Source, ...]:
    """The sources of a type whose records the account's role sees."""
    return tuple(source for source in SOURCES[resource_type]
                 if sees(account, SECTION_OF_OBJECT[source.object_type]))


def chunks(rows: QuerySet, *, after, size: int) -> Iterator[list]:
    """The rows after key `after` in key order, `size` at a time: keyset pages, so each
    chunk is one indexed range read and memory holds one chunk, however many rows."""
    while True:
        page = rows.filter(pk__gt=after) if after is not None else rows
        chunk = list(page.order_by("pk")[:size])
        if not chunk:
            return
        yield chunk
        after = chunk[-1].pk


def group(facility_code: str) -> Facility:
    """A Group is a facility's attached population; unknown codes answer 404."""
    facility = Facility.objects.filter(code=facility_code).first()
    if facility is None:
        raise Http404
    return facility


def client_job(client: FhirClient, job_id) -> ExportJob:
    """The export, only for the client that started it (404 for any other: its ids do
    not leak)."""
    try:
        job_id = uuid.UUID(str(job_id))
    except ValueError as error:
        raise Http404 from error
    job = ExportJob.objects.filter(pk=job_id, client=client).first()
    if job is None:
        raise Http404
    return job

"""What a FHIR bulk export reads: the population it covers and, per resource type, the
record sources written to its files, each with the mapping function the reads use.

The population is what the client's account may open (`patients.access.visible_cards`,
the national platform's administrator account every card), narrowed to a Group: the
patients attached to one facility (`Group/<facility code>`), the population a national
platform asks of a polyclinic or a district's facility. A kind of record is exported only
when the account's role sees it on a card (need-to-know, as every read): the
administrator of the national platform gets visits and their diagnoses, not hospital
stays, as on the pages.

`_since` keeps what may have changed after it: cards by their last change, visits and
stays still open or closed after it (a closed visit is signed and no longer changes), and
their diagnoses likewise.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404

from clinics.stays.models import Stay, StayDiagnosis
from clinics.stays.selectors import STAY_OBJECT
from clinics.visits.models import Visit, VisitDiagnosis
from clinics.visits.selectors import VISIT_OBJECT
from dmed.models import User
from fhir import mapping
from fhir.models import ExportJob, FhirClient
from patients.access import CARD_OBJECT, SECTION_OF_OBJECT, sees, visible_cards, visible_scope
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
    "Condition": (Source(VISIT_OBJECT, _visit_diagnoses, mapping.visit_condition),
                  Source(STAY_OBJECT, _stay_diagnoses, mapping.stay_condition)),
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

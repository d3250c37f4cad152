"""FHIR bulk export of the clinical records the reads serve: Observation (released lab
results, every version, and visits' vital signs), AllergyIntolerance, MedicationRequest
(prescription items), MedicationDispense, DiagnosticReport, ServiceRequest (ordered tests
and referrals), Appointment and Provenance (closed visits' and prescriptions' signatures).
Each exported line is what a read of it answers, for the population and the role, with
`_since`, in a fixed number of queries per chunk."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.utils import timezone

from clinics.labs import services as labs
from clinics.referrals import services as referrals
from clinics.referrals.models import ReferralTarget
from clinics.visits.models import Visit, VisitDiagnosis
from dmed.roles import Role
from fhir import export
from fhir.models import ExportStatus, FhirClient
from patients.models import Allergy, Severity
from patients.services import end_allergy, merge_cards
from prescriptions.models import Drug
from prescriptions.services import (
    cancel_prescription,
    dispense,
    issue_prescription,
    pharmacist_actor,
    refuse_item,
)
from queues.models import Appointment, ServicePointKind
from registry.models import FacilityKind
from tests.clinics.factories import VisitFactory
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.fhir.conftest import Bulk, make_system_client, token_for
from tests.patients.factories import CardFactory
from tests.queues.factories import ServicePointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("export_dir")]

NEW_TYPES = ("Observation", "AllergyIntolerance", "MedicationRequest", "MedicationDispense",
             "DiagnosticReport", "ServiceRequest", "Appointment", "Provenance")


def _ids(resources) -> set[str]:
    ids = [resource["id"] for resource in resources]
    assert len(ids) == len(set(ids)), "a record exported twice"
    return set(ids)


class Clinic:
    """Who makes a card's records: the card's clinician, the laboratory's technicians, a
    pharmacist, a specialist referred to, the clinician's room where people book."""

    def __init__(self, world, doctor):
        self.world, self.doctor = world, doctor
        self.pharmacist = pharmacist_actor(staff_at(FacilityFactory(kind=FacilityKind.PHARMACY),
                                                    Role.PHARMACIST))
        self.specialist = staff_at(FacilityFactory(kind=FacilityKind.HOSPITAL), Role.CLINICIAN)
        facility = doctor.staff_records.get().facility
        self.room = ServicePointFactory(facility=facility, kind=ServicePointKind.DOCTOR_ROOM,
                                        practitioner=doctor)
        self.slots = count()

    def released(self, order, code: str, value: str):
        result = labs.enter_result(actor=self.world.technician, order_id=order.public_id,
                                   test_code=code, value=Decimal(value),
                                   sampled_at=timezone.now())
        return labs.release_result(actor=self.world.second_technician,
                                   result_id=result.public_id)

    def order(self, card, *tests):
        return labs.place_lab_order(actor=self.doctor, med_id=card.med_id,
                                    laboratory=self.world.laboratory, tests=list(tests))

    def visit(self, card, *, vitals=True, closed=False):
        measured = {"bp_systolic": 128, "bp_diastolic": 82, "pulse": 71} if vitals else {}
        signed = {"status": "closed", "closed_at": timezone.now(),
                  "content_digest": "0" * 64} if closed else {}
        return VisitFactory(card=card, clinician=self.doctor, **measured, **signed)

    def prescription(self, card, *inns, visit=None):
        items = [{"drug": Drug.objects.filter(inn=inn).order_by("pk").first().pk,
                  "quantity": 20, "dosage": "1 tablet", "frequency": "2 times a day",
                  "duration_days": 10} for inn in inns]
        return issue_prescription(actor=self.doctor, patient=card.med_id, diagnosis="I10",
                                  items=items, visit=visit and visit.public_id)

    def dispense(self, card, prescription, *lines):
        dispensing, _new = dispense(by=self.pharmacist, code=prescription.code,
                                    patient_check=card.birth_date.isoformat(),
                                    items=[{"item": line, "quantity": quantity}
                                           for line, quantity in lines])
        return dispensing

    def referral(self, card):
        return referrals.refer(actor=self.doctor, med_id=card.med_id,
                               target=ReferralTarget.SPECIALIST, reason="Chest pain",
                               diagnosis_code="I10", to_clinician=self.specialist)

    def booking(self, card, *, days=2):
        # One booking a slot: each the next quarter of an hour.
        starts = (timezone.now().replace(microsecond=0)
                  + timedelta(days=days, minutes=15 * next(self.slots)))
        return Appointment.objects.create(
            service_point=self.room, card=card, starts_at=starts,
            ends_at=starts + timedelta(minutes=15), day=timezone.localtime(starts).date(),
            booked_by=self.doctor)

    def chart(self, card) -> dict[str, set[str]]:
        """One of each kind of record on the card, and beside them what is not served (an
        unreleased value, a visit without vital signs); the ids each type exports."""
        order = self.order(card, "GLU", "CREA")
        first = self.released(order, "GLU", "5.1")
        correction = labs.correct_result(actor=self.world.technician,
                                         result_id=first.public_id, value=Decimal("6.1"),
                                         reason="Transcription error")
        correction = labs.release_result(actor=self.world.second_technician,
                                         result_id=correction.public_id)
        labs.enter_result(actor=self.world.technician, order_id=order.public_id,
                          test_code="CREA", value=Decimal("80"), sampled_at=timezone.now())
        visit = self.visit(card)
        closed = self.visit(card, vitals=False, closed=True)
        allergy = Allergy.objects.create(card=card, substance="Penicillin",
                                         severity=Severity.SEVERE, recorded_by=self.doctor)
        prescription = self.prescription(card, "Amlodipine", "Metformin", visit=visit)
        dispensing = self.dispense(card, prescription, (1, 5))
        referral = self.referral(card)
        booking = self.booking(card)
        return {
            "Observation": {f"lab-{first.public_id}", f"lab-{correction.public_id}",
                            f"vitals-{visit.public_id}"},
            "AllergyIntolerance": {str(allergy.public_id)},
            "MedicationRequest": {f"{prescription.code}.1", f"{prescription.code}.2"},
            "MedicationDispense": {f"{dispensing.public_id}.1"},
            "DiagnosticReport": {str(order.public_id)},
            "ServiceRequest": {f"{order.public_id}.GLU", f"{order.public_id}.CREA",
                               f"referral-{referral.public_id}"},
            "Appointment": {str(booking.public_id)},
            "Provenance": {f"visit-{closed.public_id}", f"rx-{prescription.code}"},
        }


@pytest.fixture
def clinic(world):
    return Clinic(world, world.doctor)


@pytest.fixture
def charts(world, card, clinic):
    """The card's records; a second card of the same person, with its own, merged into it;
    and another polyclinic's patient's."""
    ours = clinic.chart(card)
    second = CardFactory(attached_facility=world.polyclinic, registered_at=world.polyclinic)
    merged = clinic.chart(second)
    merge_cards(actor=UserFactory(role=Role.ADMINISTRATOR), source_med_id=second.med_id,
                target_med_id=card.med_id)
    elsewhere = CardFactory()
    other = Clinic(world, staff_at(elsewhere.attached_facility, Role.CLINICIAN))
    return {"ours": ours, "merged": merged, "other": other.chart(elsewhere)}


def test_a_group_export_writes_each_record_as_its_read_answers(world, polyclinic_system,
                                                               fhir, charts):
    bulk = Bulk(token_for(polyclinic_system))
    manifest = bulk.finished(bulk.started(f"Group/{world.polyclinic.code}/$export",
                                          {"_type": ",".join(NEW_TYPES)}))
    assert [item["type"] for item in manifest["output"]] == list(NEW_TYPES)
    for resource_type in NEW_TYPES:
        exported = bulk.resources(manifest, resource_type)  # each line valid FHIR R5
        # The merged card's records come with the card it was merged into; another
        # polyclinic's patient's do not.
        assert _ids(exported) == (charts["ours"][resource_type]
                                  | charts["merged"][resource_type]), resource_type
        for resource in exported:
            assert fhir.get(f"{resource_type}/{resource['id']}").json() == resource


def test_an_administrators_system_exports_only_the_sections_its_role_sees(world, card, charts):
    bulk = Bulk(token_for(make_system_client(role=Role.ADMINISTRATOR, facility=None)))
    manifest = bulk.finished(bulk.started("$export"))
    written = {item["type"] for item in manifest["output"]}
    # An administrator sees when and where visits were, appointments and referrals; not
    # diagnoses, vital signs (the visit's clinical record), results, lab orders, allergies
    # or prescriptions.
    unseen = {"Condition", "Observation", "AllergyIntolerance", "MedicationRequest",
              "MedicationDispense", "DiagnosticReport"}
    assert written >= {"ServiceRequest", "Appointment"}
    assert not written & unseen
    everyone = [chart[kind] for chart in charts.values() for kind in chart]
    requests = _ids(bulk.resources(manifest, "ServiceRequest"))
    assert requests == {i for ids in everyone for i in ids if i.startswith("referral-")}
    appointments = _ids(bulk.resources(manifest, "Appointment"))
    assert appointments == {i for chart in charts.values() for i in chart["Appointment"]}
    signatures = _ids(bulk.resources(manifest, "Provenance"))
    assert signatures == {i for ids in everyone for i in ids if i.startswith("visit-")}
    for resource_type in sorted(unseen):
        refused = bulk.kick_off("$export", {"_type": resource_type})
        assert refused.status_code == 403
        assert "does not see" in refused.json()["issue"][0]["diagnostics"]
    pharmacy = make_system_client(role=Role.PHARMACIST,
                                  facility=FacilityFactory(kind=FacilityKind.PHARMACY))
    for resource_type in ("Appointment", "ServiceRequest", "Observation", "AllergyIntolerance",
                          "Condition"):
        assert Bulk(token_for(pharmacy)).kick_off("$export", {"_type": resource_type}
                                                  ).status_code == 403


def test_the_national_platform_exports_the_coded_record_not_the_clinical_text(
        world, national, card, charts):
    visit = Visit.objects.filter(card=card).order_by("pk").first()
    VisitDiagnosis.objects.create(visit=visit, code_id="I10", kind="primary")
    bulk = Bulk(token_for(national))
    manifest = bulk.finished(bulk.started("$export"))
    for resource_type in ("AllergyIntolerance", "MedicationRequest", "MedicationDispense",
                          "DiagnosticReport", "ServiceRequest", "Appointment", "Provenance"):
        assert _ids(bulk.resources(manifest, resource_type)) \
            == {i for chart in charts.values() for i in chart[resource_type]}, resource_type
    assert _ids(bulk.resources(manifest, "Condition")) == {f"visit-{visit.public_id}.I10"}
    # Results, not the vital signs measured at a visit: those are its clinical record.
    assert _ids(bulk.resources(manifest, "Observation")) == {
        i for chart in charts.values() for i in chart["Observation"]
        if not i.startswith("vitals-")}


def test_since_keeps_the_records_changed_after_it(world, polyclinic_system, card, clinic):
    released_before = clinic.order(card, "GLU")
    old_result = clinic.released(released_before, "GLU", "5.0")
    releasing = clinic.order(card, "GLU", "CREA")
    clinic.released(releasing, "GLU", "5.2")
    pending = labs.enter_result(actor=world.technician, order_id=releasing.public_id,
                                test_code="CREA", value=Decimal("80"),
                                sampled_at=timezone.now())
    clinic.visit(card, closed=True)
    open_visit = clinic.visit(card)
    unchanged = Allergy.objects.create(card=card, substance="Latex", severity=Severity.MILD)
    ending = Allergy.objects.create(card=card, substance="Walnut", severity=Severity.MILD)
    cancelled = clinic.prescription(card, "Amlodipine")
    cancel_prescription(actor=world.doctor, code=cancelled.code, reason="Changed my mind")
    dispensed_before = clinic.prescription(card, "Metformin")
    clinic.dispense(card, dispensed_before, (1, 20))
    dispensed_after = clinic.prescription(card, "Paracetamol")
    refused = clinic.prescription(card, "Amlodipine")
    kept_referral, withdrawn = clinic.referral(card), clinic.referral(card)
    kept_booking, moved = clinic.booking(card), clinic.booking(card, days=3)

    # Since the next whole second: a signature's time is kept to the second, so those
    # signed before, in since's second, would read as signed in it.
    since = (timezone.now() + timedelta(seconds=1)).replace(microsecond=0)
    time.sleep((since - timezone.now()).total_seconds())
    late = clinic.prescription(card, "Metformin")
    VisitDiagnosis.objects.create(visit=open_visit, code_id="I10", kind="primary")
    Visit.objects.filter(pk=open_visit.pk).update(status="closed", closed_at=timezone.now(),
                                                  content_digest="0" * 64)
    released = labs.release_result(actor=world.second_technician, result_id=pending.public_id)
    end_allergy(actor=world.doctor, med_id=card.med_id, allergy_id=ending.public_id,
                reason="Outgrown")
    dispensing = clinic.dispense(card, dispensed_after, (1, 20))
    # A pharmacy's refusal changes the item, not its prescription: an open one is kept.
    refuse_item(by=clinic.pharmacist, code=refused.code, line=1, reason="Out of stock",
                patient_check=card.birth_date.isoformat())
    referrals.cancel_referral(actor=world.doctor, referral_id=withdrawn.public_id,
                              reason="Resolved")
    moved.status = "cancelled"
    moved.save()

    bulk = Bulk(token_for(polyclinic_system))
    manifest = bulk.finished(bulk.started("$export", {"_type": ",".join(NEW_TYPES),
                                                      "_since": since.isoformat()}))
    exported = {resource_type: _ids(bulk.resources(manifest, resource_type))
                for resource_type in NEW_TYPES}
    assert exported == {
        # Released after it; a visit open until after it, not one closed before.
        "Observation": {f"lab-{released.public_id}", f"vitals-{open_visit.public_id}"},
        "AllergyIntolerance": {str(ending.public_id)},
        # A prescription dispensed after it, and one still open; the cancelled and the
        # dispensed one are closed and unchanged since.
        "MedicationRequest": {f"{dispensed_after.code}.1", f"{refused.code}.1",
                              f"{late.code}.1"},
        "MedicationDispense": {f"{dispensing.public_id}.1"},
        "DiagnosticReport": {str(releasing.public_id)},
        "ServiceRequest": {f"{releasing.public_id}.CREA", f"referral-{withdrawn.public_id}"},
        "Appointment": {str(moved.public_id)},
        # Signed after it: the visit closed, the prescription issued.
        "Provenance": {f"visit-{open_visit.public_id}", f"rx-{late.code}"},
    }
    assert f"lab-{old_result.public_id}" not in exported["Observation"]
    assert str(unchanged.public_id) not in exported["AllergyIntolerance"]
    assert f"referral-{kept_referral.public_id}" not in exported["ServiceRequest"]
    assert str(kept_booking.public_id) not in exported["Appointment"]


def test_since_keeps_what_a_merge_moved_to_the_surviving_card(world, polyclinic_system, card,
                                                             clinic):
    second = CardFactory(attached_facility=world.polyclinic, registered_at=world.polyclinic)
    allergy = Allergy.objects.create(card=second, substance="Latex", severity=Severity.MILD)
    booking = clinic.booking(second)
    since = timezone.now()
    merge_cards(actor=UserFactory(role=Role.ADMINISTRATOR), source_med_id=second.med_id,
                target_med_id=card.med_id)
    bulk = Bulk(token_for(polyclinic_system))
    manifest = bulk.finished(bulk.started("$export", {
        "_type": "AllergyIntolerance,Appointment", "_since": since.isoformat()}))
    moved = bulk.resources(manifest, "AllergyIntolerance") + bulk.resources(manifest,
                                                                           "Appointment")
    assert _ids(moved) == {str(allergy.public_id), str(booking.public_id)}
    assert {resource.get("patient", resource.get("subject"))["reference"]
            for resource in moved} == {f"Patient/{card.med_id}"}


def test_a_chunk_of_each_type_reads_in_a_fixed_number_of_queries(
        world, polyclinic_system, clinic, django_assert_max_num_queries):
    client = FhirClient.objects.get(application__client_id=polyclinic_system.client_id)

    def charts(cards: int) -> None:
        for _ in range(cards):
            clinic.chart(CardFactory(attached_facility=world.polyclinic,
                                     registered_at=world.polyclinic))

    def export_job():
        return export.start_export(client=client, types=list(NEW_TYPES), since=None,
                                   group=world.polyclinic, request_url="/fhir/$export")

    def written(job) -> int:
        job.refresh_from_db()
        assert job.status == ExportStatus.COMPLETED, job.error
        return job.written

    # Per source (11): its chunk, the progress saved, the empty read that ends it; the
    # reports' tests and their results, the prescriptions' items (3); the job locked, read,
    # completed and unlocked, and the account's post (5).
    queries = 11 * 3 + 3 + 5
    charts(1)
    job = export_job()
    with django_assert_max_num_queries(queries):
        assert export.run_step(job.pk, seconds=60) is False
    few = written(job)
    # Fifteen cards: 30 and more records of most types, each type in one chunk, in as
    # many queries as one card's records took.
    charts(14)
    job = export_job()
    with django_assert_max_num_queries(queries):
        assert export.run_step(job.pk, seconds=60) is False
    assert written(job) == 15 * few

"""A FHIR client library nobody here wrote (fhirpy) drives the live server over HTTP: it
gets a client-credentials token, finds a patient by PINFL, reads their encounters, pages
through observations by the Bundle's next links, follows a prescription to its medicine,
meets the refusals as its own exceptions, posts a lab report and posts a dispense."""

from decimal import Decimal

import pytest
import requests
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import (
    AuthorizationError,
    ForbiddenError,
    OperationOutcome,
    ResourceNotFound,
)

from clinics.labs.services import place_lab_order
from clinics.visits.models import VisitDiagnosis
from dmed.roles import Role
from fhir import identifiers
from prescriptions.models import Drug
from prescriptions.services import issue_prescription
from registry.models import FacilityKind
from tests.clinics.factories import VisitFactory
from tests.clinics.lab_helpers import released_result
from tests.factories import FacilityFactory
from tests.fhir.bodies import dispense_body, lab_report
from tests.fhir.conftest import make_system_client

# The server runs in another thread and must see the rows the test writes.
pytestmark = pytest.mark.django_db(transaction=True)


def _client(live_server, system, scope=None) -> SyncFHIRClient:
    data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    answer = requests.post(f"{live_server.url}/o/token/", data=data, timeout=10,
                           auth=(system.client_id, system.secret))
    assert answer.status_code == 200, answer.text
    return SyncFHIRClient(f"{live_server.url}/fhir",
                          authorization=f"Bearer {answer.json()['access_token']}")


def test_a_fhir_client_finds_a_patient_and_reads_their_record(
        live_server, world, card, polyclinic_system):
    visits = [VisitFactory(card=card) for _ in range(2)]
    VisitDiagnosis.objects.create(visit=visits[0], code_id="I10", kind="primary")
    results = [released_result(world, card, "GLU", Decimal("5.0") + days, days_ago=days)
               for days in (1, 2, 3)]
    drug = Drug.objects.filter(inn="Amlodipine").order_by("pk").first()
    prescription = issue_prescription(
        actor=world.doctor, patient=card.med_id, diagnosis="I10",
        items=[{"drug": drug.pk, "quantity": 30, "dosage": "1 tablet"}])
    client = _client(live_server, polyclinic_system)

    patient = client.resources("Patient").search(
        identifier=f"{identifiers.PINFL.system}|{card.pinfl}").get()
    assert patient["id"] == card.med_id
    assert patient["birthDate"] == card.birth_date.isoformat()

    encounters = client.resources("Encounter").search(patient=patient["id"]).fetch_all()
    assert {e["id"] for e in encounters} == {f"visit-{v.public_id}" for v in visits}

    observations = client.resources("Observation").search(
        patient=patient["id"], category="laboratory").limit(1)
    paged = [observation["id"] for observation in observations]  # follows Bundle.link next
    assert paged == [f"lab-{result.public_id}" for result in results]

    request = client.reference("MedicationRequest", f"{prescription.code}.1").to_resource()
    medicine = client.reference(
        reference=request["medication"]["reference"]["reference"]).to_resource()
    assert medicine["code"]["coding"][0]["code"] == drug.atc_code

    everything = client.resource("Patient", id=card.med_id).execute("$everything", "get")
    assert everything["entry"][0]["resource"]["id"] == card.med_id

    with pytest.raises(ResourceNotFound):
        client.reference("Patient", "NOPE").to_resource()


def test_a_fhir_client_meets_the_refusals_as_its_own_errors(
        live_server, card, polyclinic_system):
    narrow = _client(live_server, polyclinic_system, scope="system/Organization.rs")
    with pytest.raises(ForbiddenError):
        narrow.reference("Patient", card.med_id).to_resource()
    anonymous = SyncFHIRClient(f"{live_server.url}/fhir")
    with pytest.raises(AuthorizationError):
        anonymous.resources("Patient").search(identifier=card.pinfl).fetch()
    statement = anonymous.execute("metadata", "get")
    assert statement["fhirVersion"] == "5.0.0"


def test_a_laboratory_system_posts_a_report_and_a_pharmacy_system_a_dispense(
        live_server, world, card, polyclinic_system):
    """The writes, by the same library: a transaction Bundle and a resource's save()."""
    order = place_lab_order(actor=world.doctor, med_id=card.med_id,
                            laboratory=world.laboratory, tests=["GLU"])
    laboratory = make_system_client(role=Role.LAB_TECHNICIAN, facility=world.laboratory)
    lab = _client(live_server, laboratory, scope="system/DiagnosticReport.c "
                                                 "system/Observation.c")
    answer = lab.execute("", "post", data=lab_report(order, {"GLU": 5.4}))
    assert answer["type"] == "transaction-response"
    report = _client(live_server, polyclinic_system).reference(
        reference=answer["entry"][0]["response"]["location"]).to_resource()
    assert report["status"] == "final"
    assert report["result"][0]["reference"] == answer["entry"][1]["response"]["location"]

    drug = Drug.objects.filter(inn="Amlodipine").order_by("pk").first()
    prescription = issue_prescription(
        actor=world.doctor, patient=card.med_id, diagnosis="I10",
        items=[{"drug": drug.pk, "quantity": 30, "dosage": "1 tablet"}])
    pharmacy = make_system_client(role=Role.PHARMACIST,
                                  facility=FacilityFactory(kind=FacilityKind.PHARMACY))
    pos = _client(live_server, pharmacy, scope="system/MedicationDispense.c")
    body = dispense_body(prescription, quantity=10)
    dispense = pos.resource("MedicationDispense", **body)
    dispense.save()
    assert dispense["authorizingPrescription"][0]["reference"] == \
        f"MedicationRequest/{prescription.code}.1"
    retried = pos.resource("MedicationDispense", **body)
    retried.save()  # the same identifier: answered, not dispensed again
    assert retried.id == dispense.id
    assert prescription.items.get().dispensed_quantity == 10
    with pytest.raises(OperationOutcome):
        pos.resource("MedicationDispense", **dispense_body(prescription, quantity=21,
                                                           dispense_id="D-2")).save()

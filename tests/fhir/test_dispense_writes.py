"""A pharmacy system posts a MedicationDispense against a prescription item: through the
pharmacy REST API's dispense service (row lock, patient check, idempotency, audit); a
repeated POST dispenses nothing more, If-None-Exist finds the earlier dispense; refusals
answer as the REST API (404 for a failed patient check or unknown code, 409 for the
prescription's state, 403 without the scope, 401 for an expired token, 400 per element)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from oauth2_provider.models import AccessToken

from dmed.models import AuditEvent
from dmed.roles import Role
from prescriptions.models import Dispensing, Drug, PrescriptionItem
from prescriptions.services import issue_prescription
from registry.models import FacilityKind
from tests.concurrency import run_at_once
from tests.factories import FacilityFactory
from tests.fhir.bodies import dispense_body
from tests.fhir.conftest import Fhir, make_system_client, token_for

pytestmark = pytest.mark.django_db

SCOPE = "system/MedicationDispense.c"


@pytest.fixture
def pharmacy():
    return FacilityFactory(kind=FacilityKind.PHARMACY, name="Shifo-Farm dorixonasi")


@pytest.fixture
def pharmacy_system(pharmacy):
    return make_system_client(role=Role.PHARMACIST, facility=pharmacy,
                              name="Pharmacy system")


@pytest.fixture
def pos(pharmacy_system):
    return Fhir(token_for(pharmacy_system, scope=SCOPE))


@pytest.fixture
def prescription(world, card):
    drug = Drug.objects.filter(inn="Amlodipine").order_by("pk").first()
    return issue_prescription(actor=world.doctor, patient=card.med_id, diagnosis="I10",
                              items=[{"drug": drug.pk, "quantity": 10, "dosage": "1 tablet"}])


def _dispensed(prescription) -> int:
    return PrescriptionItem.objects.get(prescription=prescription, line=1).dispensed_quantity


def test_a_pharmacy_system_dispenses_through_the_service_and_it_is_audited(
        pos, pharmacy, pharmacy_system, prescription, card):
    response = pos.post("MedicationDispense", dispense_body(prescription, quantity=4))
    assert response.status_code == 201, response.json()
    dispense = response.json()
    dispensing = Dispensing.objects.get(prescription=prescription)
    assert dispense["id"] == f"{dispensing.public_id}.1"
    assert response["Location"].endswith(f"/fhir/MedicationDispense/{dispense['id']}")
    assert dispense["quantity"]["value"] == 4
    assert dispense["subject"]["reference"] == f"Patient/{card.med_id}"
    assert _dispensed(prescription) == 4
    assert dispensing.pharmacist == pharmacy_system.account
    assert dispensing.idempotency_key == "https://pharmacy.example.uz/dispense|D-1"
    event = AuditEvent.objects.get(actor=pharmacy_system.account, action="update")
    assert event.object_id == prescription.code and event.allowed
    assert event.facility_code == pharmacy.code
    assert event.reason.startswith(f"dispensed {dispensing.public_id}")


def test_repeating_the_same_post_dispenses_nothing_more(pos, prescription):
    first = pos.post("MedicationDispense", dispense_body(prescription, quantity=4))
    again = pos.post("MedicationDispense", dispense_body(prescription, quantity=4))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert _dispensed(prescription) == 4
    # The same identifier for another request is refused, as the REST API's key.
    reused = pos.post("MedicationDispense", dispense_body(prescription, quantity=5))
    assert reused.status_code == 409
    assert reused.json()["issue"][0]["code"] == "conflict"
    assert _dispensed(prescription) == 4


def test_if_none_exist_answers_the_earlier_dispense_without_writing(pos, prescription):
    first = pos.post("MedicationDispense", dispense_body(prescription, quantity=4)).json()
    events = AuditEvent.objects.count()
    # A new identifier, but the search finds the first dispense: nothing is dispensed.
    found = pos.post("MedicationDispense", dispense_body(prescription, dispense_id="D-2"),
                     HTTP_IF_NONE_EXIST="identifier=https://pharmacy.example.uz/dispense|D-1")
    assert found.status_code == 200
    assert found.json() == first
    assert _dispensed(prescription) == 4
    assert list(AuditEvent.objects.order_by("-pk").values_list("action", "object_type")[
        :AuditEvent.objects.count() - events]) == [("view", "prescriptions.dispensing")]
    # No match: written.
    created = pos.post("MedicationDispense", dispense_body(prescription, dispense_id="D-2"),
                       HTTP_IF_NONE_EXIST="identifier=https://pharmacy.example.uz/dispense|D-2")
    assert created.status_code == 201
    assert _dispensed(prescription) == 5
    # Two dispenses of the item match: 412, nothing written.
    several = pos.post("MedicationDispense", dispense_body(prescription, dispense_id="D-3"),
                       HTTP_IF_NONE_EXIST=f"prescription=MedicationRequest/{prescription.code}.1")
    assert several.status_code == 412
    assert several.json()["issue"][0]["code"] == "multiple-matches"
    assert _dispensed(prescription) == 5


def test_if_none_exist_never_finds_another_pharmacys_dispense(pos, prescription):
    other = make_system_client(role=Role.PHARMACIST,
                               facility=FacilityFactory(kind=FacilityKind.PHARMACY))
    Fhir(token_for(other, scope=SCOPE)).post("MedicationDispense",
                                             dispense_body(prescription, quantity=2))
    response = pos.post("MedicationDispense", dispense_body(prescription, quantity=1),
                        HTTP_IF_NONE_EXIST="identifier=https://pharmacy.example.uz/dispense|D-1")
    assert response.status_code == 201
    assert _dispensed(prescription) == 3


@pytest.mark.parametrize("pinfl", ["12345678901234", "the last four right", ""])
def test_a_failed_patient_check_or_unknown_code_is_404_and_audited(
        pos, pharmacy_system, prescription, card, pinfl):
    if pinfl == "the last four right":  # the whole PINFL is checked, not its end
        pinfl = ("1" if card.pinfl[0] != "1" else "2") + card.pinfl[1:]
    body = dispense_body(prescription, pinfl=pinfl)
    if not pinfl:
        body["authorizingPrescription"] = [{"reference": "MedicationRequest/RX0000000000.1"}]
    response = pos.post("MedicationDispense", body)
    assert response.status_code == 404
    assert _dispensed(prescription) == 0
    assert AuditEvent.objects.filter(actor=pharmacy_system.account, allowed=False).exists()


def test_over_the_quantity_left_is_409_and_nothing_written(pos, prescription):
    response = pos.post("MedicationDispense", dispense_body(prescription, quantity=11))
    assert response.status_code == 409
    assert "10 left" in response.json()["issue"][0]["diagnostics"]
    assert _dispensed(prescription) == 0


def test_a_token_without_the_create_scope_is_refused_403(pharmacy_system, prescription):
    fhir = Fhir(token_for(pharmacy_system, scope="system/MedicationDispense.rs"))
    response = fhir.post("MedicationDispense", dispense_body(prescription))
    assert response.status_code == 403
    assert "create MedicationDispense" in response.json()["issue"][0]["diagnostics"]
    assert _dispensed(prescription) == 0


def test_an_expired_token_is_refused_401(pos, prescription):
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert pos.post("MedicationDispense", dispense_body(prescription)).status_code == 401
    assert _dispensed(prescription) == 0


def test_a_system_of_another_kind_of_facility_does_not_dispense(world, prescription):
    lab = make_system_client(role=Role.LAB_TECHNICIAN, facility=world.laboratory)
    response = Fhir(token_for(lab, scope=SCOPE)).post("MedicationDispense",
                                                      dispense_body(prescription))
    assert response.status_code == 403
    assert _dispensed(prescription) == 0


BAD = {
    "no identifier": (lambda b: b.pop("identifier"), "MedicationDispense.identifier"),
    "zero": (lambda b: b["quantity"].update(value=0), "MedicationDispense.quantity.value"),
    "a fraction": (lambda b: b["quantity"].update(value=1.5),
                   "MedicationDispense.quantity.value"),
    "in preparation": (lambda b: b.update(status="preparation"), "MedicationDispense.status"),
    "no PINFL": (lambda b: b["subject"].update(identifier={"value": "1234"}),
                 "MedicationDispense.subject.identifier"),
    "two prescriptions": (lambda b: b["authorizingPrescription"].append(
        b["authorizingPrescription"][0]), "MedicationDispense.authorizingPrescription"),
    "not an item": (lambda b: b.update(authorizingPrescription=[
        {"reference": "MedicationRequest/RX12"}]), "MedicationDispense.authorizingPrescription[0]"),
    "another medicine": (lambda b: b["medication"]["reference"].update(
        reference=f"Medication/{Drug.objects.exclude(inn='Amlodipine').first().pk}"),
        "MedicationDispense.medication.reference"),
    "a line not prescribed": (lambda b: b.update(authorizingPrescription=[{
        "reference": b["authorizingPrescription"][0]["reference"][:-1] + "7"}]),
        "MedicationDispense.authorizingPrescription"),
    "a PINFL as a number": (lambda b: b["subject"]["identifier"].update(
        value=30211975910033), "MedicationDispense.subject.identifier"),
    "an unsupported search": ("status=completed", "If-None-Exist"),
    "an empty search": ("identifier=", "If-None-Exist"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_400_with_the_element_named_and_nothing_written(pos, prescription,
                                                                      case):
    change, where = BAD[case]
    body = dispense_body(prescription)
    headers = {"HTTP_IF_NONE_EXIST": change} if isinstance(change, str) else {}
    if not headers:
        change(body)
    response = pos.post("MedicationDispense", body, **headers)
    assert response.status_code == 400, response.json()
    assert response.json()["issue"][0]["expression"] == [where]
    assert _dispensed(prescription) == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_dispense_dispense_once(pos, prescription):
    """As tests/prescriptions/test_race.py's retries with one Idempotency-Key."""
    connection.close()
    outcomes = run_at_once(lambda _i: Fhir(pos.token).post(
        "MedicationDispense", dispense_body(prescription, quantity=4)).status_code, 6)
    assert sorted(outcomes) == [200] * 5 + [201]
    assert _dispensed(prescription) == 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_pharmacies_never_dispense_more_than_prescribed(prescription):
    """As test_race.py's pharmacies pressing "dispense" at once: 4 × 3 of 10 tablets."""
    systems = [Fhir(token_for(make_system_client(
        role=Role.PHARMACIST, facility=FacilityFactory(kind=FacilityKind.PHARMACY)),
        scope=SCOPE)) for _ in range(4)]
    connection.close()
    outcomes = run_at_once(lambda i: systems[i].post(
        "MedicationDispense", dispense_body(prescription, quantity=3)).status_code, 4)
    assert sorted(outcomes) == [201, 201, 201, 409]
    assert _dispensed(prescription) == 9

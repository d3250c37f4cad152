"""The prescription API: clinicians, patients, published keys and the pharmacy API."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.urls import reverse
from rest_framework.test import APIClient

from dmed.models import AuditEvent
from dmed.roles import Role
from prescriptions import qr
from prescriptions.models import Prescription, PrescriptionItem
from prescriptions.selectors import canonical_content
from prescriptions.services import create_pharmacy_api_key, revoke_pharmacy_api_key
from prescriptions.signing import canonical, unb64
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.prescriptions.conftest import add_allergy, drug

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_doctor(doctor):
    client = APIClient()
    client.force_authenticate(doctor)
    return client


@pytest.fixture
def pharmacy_key(pharmacy):
    _key, plain = create_pharmacy_api_key(pharmacy=pharmacy, name="till")
    return plain


@pytest.fixture
def as_pharmacy(api_client, pharmacy_key):
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {pharmacy_key}")
    return api_client


def new_prescription(client, card, **extra):
    body = {"patient": card.med_id, "diagnosis": "J06.9",
            "items": [{"drug": drug("Amoxicillin").pk, "quantity": 20, "dosage": "1 capsule",
                       "frequency": "3 times a day"}], **extra}
    return client.post(reverse("api-prescriptions"), body, format="json")


def test_drug_search_finds_by_trade_name_and_atc_code(as_doctor, api_client):
    found = as_doctor.get(reverse("api-drugs"), {"search": "флемоксин"}).json()["results"]
    assert [d["inn"] for d in found] == ["Amoxicillin"]
    by_atc = as_doctor.get(reverse("api-drugs"), {"search": "C09AA"}).json()["results"]
    assert {d["atc_code"][:5] for d in by_atc} == {"C09AA"} and len(by_atc) >= 4
    assert api_client.get(reverse("api-drugs")).status_code == 401


def test_a_clinician_issues_lists_reads_and_cancels(as_doctor, card):
    answer = new_prescription(as_doctor, card)
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["status"] == "issued" and body["patient"] == card.med_id
    assert [(i["id"], i["quantity"], i["remaining"]) for i in body["items"]] == [(1, 20, 20)]
    code = body["code"]
    listed = as_doctor.get(reverse("api-prescriptions"), {"patient": card.med_id}).json()
    assert [p["code"] for p in listed["results"]] == [code]
    assert as_doctor.get(reverse("api-prescription", args=[code])).json()["code"] == code
    cancelled = as_doctor.post(reverse("api-prescription-cancel", args=[code]),
                               {"reason": "Duplicate"}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = as_doctor.post(reverse("api-prescription-cancel", args=[code]),
                           {"reason": "Duplicate"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "not_cancellable"


def test_bad_input_answers_400_per_field(as_doctor, card):
    answer = new_prescription(as_doctor, card, diagnosis="flu",
                              items=[{"drug": drug("Amoxicillin").pk, "quantity": 0,
                                      "dosage": "1"}])
    assert answer.status_code == 400
    assert {"diagnosis", "items.0.quantity"} <= set(answer.json()["fields"])
    assert answer.json()["code"] == "invalid"


def test_an_allergy_warning_must_be_acknowledged(as_doctor, card):
    add_allergy(card, "Penicillin")
    warned = new_prescription(as_doctor, card)
    assert warned.status_code == 400
    assert "Penicillin" in warned.json()["fields"]["acknowledge_allergies"][0]
    assert new_prescription(as_doctor, card, acknowledge_allergies=True).status_code == 201


def test_out_of_scope_clinician_gets_403_and_other_patients_get_404(api_client, as_doctor, card):
    code = new_prescription(as_doctor, card).json()["code"]
    stranger = staff_at(FacilityFactory(), Role.CLINICIAN)
    api_client.force_authenticate(stranger)
    assert new_prescription(api_client, card).status_code == 403
    assert api_client.get(reverse("api-prescription", args=[code])).status_code == 404
    assert api_client.get(reverse("api-prescriptions"),
                          {"patient": card.med_id}).status_code == 403
    someone = UserFactory(role=Role.PATIENT)
    api_client.force_authenticate(someone)
    assert api_client.get(reverse("api-prescription", args=[code])).status_code == 404
    assert api_client.get(reverse("api-prescriptions")).json()["results"] == []


def test_the_patient_reads_their_own(api_client, as_doctor, card):
    code = new_prescription(as_doctor, card).json()["code"]
    owner = UserFactory(role=Role.PATIENT)
    card.user = owner
    card.save(update_fields=["user"])
    api_client.force_authenticate(owner)
    assert [p["code"] for p in api_client.get(reverse("api-prescriptions")).json()["results"]
            ] == [code]
    assert api_client.get(reverse("api-prescription", args=[code])).status_code == 200


def test_published_keys_verify_the_qr_offline(as_doctor, card, api_client, pharmacy_key):
    answer = new_prescription(as_doctor, card).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {pharmacy_key}")
    keys = api_client.get(reverse("api-prescriber-keys")).json()
    assert keys["algorithm"] == "Ed25519"
    public = next(k for k in keys["results"] if k["key_id"] == answer["key_id"])["public_key"]
    # What a pharmacy system does offline: the QR verifies with the published key alone.
    assert qr.read(answer["qr"], lambda key_id: unb64(public)).code == answer["code"]
    # The API's signature covers the full content, rebuilt from the rows.
    prescription = Prescription.objects.get(code=answer["code"])
    Ed25519PublicKey.from_public_bytes(unb64(public)).verify(
        unb64(answer["signature"]), canonical(canonical_content(prescription)))


def test_pharmacy_verifies_and_dispenses_with_idempotent_retries(as_doctor, card, api_client,
                                                                 pharmacy_key, pharmacy):
    code = new_prescription(as_doctor, card).json()["code"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {pharmacy_key}")
    check = card.pinfl[-4:]
    url = reverse("api-pharmacy-prescription", args=[code])
    seen = api_client.get(url, {"patient_check": check})
    assert seen.status_code == 200 and seen.json()["items"][0]["remaining"] == 20
    dispense_url = reverse("api-pharmacy-dispense", args=[code])
    body = {"patient_check": check, "items": [{"item": 1, "quantity": 8}]}
    first = api_client.post(dispense_url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.json()
    assert first.json()["status"] == "partially_dispensed"
    assert first.json()["items"] == [{"item": 1, "quantity": 8, "remaining": 12}]
    assert first.json()["pharmacy"] == pharmacy.code
    again = api_client.post(dispense_url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert PrescriptionItem.objects.get(prescription__code=code).dispensed_quantity == 8
    over = api_client.post(dispense_url, {"patient_check": check,
                                          "items": [{"item": 1, "quantity": 13}]},
                           format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert over.status_code == 409 and over.json()["code"] == "over_quantity"
    assert set(over.json()) == {"detail", "code"}
    rest = api_client.post(dispense_url, {"patient_check": check,
                                          "items": [{"item": 1, "quantity": 12}]},
                           format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert rest.json()["status"] == "dispensed"
    done = api_client.get(url, {"patient_check": check})
    assert done.status_code == 409 and done.json()["code"] == "dispensed"
    events = AuditEvent.objects.filter(object_id=code, reason__startswith="api-key")
    assert events.filter(action="view").exists() and events.filter(action="update").exists()


def test_unknown_codes_and_failed_checks_answer_the_same_404(as_doctor, card, as_pharmacy):
    code = new_prescription(as_doctor, card).json()["code"]
    wrong_check = as_pharmacy.get(reverse("api-pharmacy-prescription", args=[code]),
                                  {"patient_check": "0000"})
    unknown = as_pharmacy.get(reverse("api-pharmacy-prescription", args=["23456789A"]),
                              {"patient_check": card.pinfl[-4:]})
    assert wrong_check.status_code == unknown.status_code == 404
    assert wrong_check.json() == unknown.json()


def test_keys_act_only_for_their_pharmacy_and_revoked_keys_fail(as_doctor, card, api_client,
                                                                 pharmacy):
    code = new_prescription(as_doctor, card).json()["code"]
    key_a, plain_a = create_pharmacy_api_key(pharmacy=pharmacy, name="A")
    _key_b, plain_b = create_pharmacy_api_key(
        pharmacy=FacilityFactory(kind="pharmacy"), name="B")
    url = reverse("api-pharmacy-dispense", args=[code])
    body = {"patient_check": card.pinfl[-4:], "items": [{"item": 1, "quantity": 2}]}
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain_a}")
    by_a = api_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain_b}")
    by_b = api_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    # The same Idempotency-Key at another pharmacy is another request: its own dispensing.
    assert by_a.json()["pharmacy"] != by_b.json()["pharmacy"]
    assert by_a.json()["dispensing"] != by_b.json()["dispensing"]
    revoke_pharmacy_api_key(key_a)
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain_a}")
    assert api_client.post(url, body, format="json").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain_a}x")
    assert api_client.get(reverse("api-prescriber-keys")).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION="Api-Key nonsense")
    assert api_client.get(reverse("api-prescriber-keys")).status_code == 401


def test_a_clinician_cannot_use_the_pharmacy_api(as_doctor, card):
    code = new_prescription(as_doctor, card).json()["code"]
    answer = as_doctor.get(reverse("api-pharmacy-prescription", args=[code]),
                           {"patient_check": card.pinfl[-4:]})
    assert answer.status_code == 403


def test_a_pharmacist_session_uses_the_pharmacy_api(as_doctor, card, api_client, pharmacist):
    code = new_prescription(as_doctor, card).json()["code"]
    api_client.force_authenticate(pharmacist)
    answer = api_client.get(reverse("api-pharmacy-prescription", args=[code]),
                            {"patient_check": card.birth_date.strftime("%d.%m.%Y")})
    assert answer.status_code == 200


def test_the_schema_documents_the_pharmacy_api(api_client, doctor):
    api_client.force_authenticate(doctor)
    schema = api_client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").content
    for path in (b"/api/v1/pharmacy/prescriptions/{code}/dispense/", b"/api/v1/drugs/",
                 b"/api/v1/prescribers/keys/", b"pharmacyApiKey", b"Idempotency-Key"):
        assert path in schema

"""Issuing: who may, what is required, validity, allergy warnings, repeats, signing."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dmed.models import AuditEvent
from dmed.roles import Role
from patients.access import CardAccessDenied
from prescriptions import signing
from prescriptions.codes import is_valid_code
from prescriptions.models import ItemStatus, PrescriberKey, Prescription, PrescriptionStatus
from prescriptions.selectors import signature_is_valid
from prescriptions.services import AllergyWarningsPending, issue_prescription
from tests.factories import FacilityFactory, staff_at
from tests.prescriptions.conftest import add_allergy, add_chronic, drug

pytestmark = pytest.mark.django_db


def test_issuing_signs_a_prescription_with_a_readable_code_and_audits_it(write, card, doctor):
    prescription = write(("Amoxicillin", 20), ("Ibuprofen", 10))
    assert is_valid_code(prescription.code) and prescription.series_code == prescription.code
    assert prescription.status == PrescriptionStatus.ISSUED
    assert [(i.line, i.drug.inn, i.status) for i in prescription.items.all()] == [
        (1, "Amoxicillin", ItemStatus.TO_DISPENSE), (2, "Ibuprofen", ItemStatus.TO_DISPENSE)]
    today = timezone.localdate()
    assert (prescription.available_from, prescription.valid_until) == (
        today, today + timedelta(days=29))
    assert not prescription.chronic and signature_is_valid(prescription)
    event = AuditEvent.objects.get(object_type="prescriptions.prescription", action="create")
    assert (event.actor, event.patient_med_id, event.object_id) == (
        doctor, card.med_id, prescription.code)


def test_the_private_key_is_stored_encrypted_and_one_key_serves_a_prescriber(write, doctor,
                                                                           settings):
    first, second = write(("Amoxicillin", 20)), write(("Ibuprofen", 10))
    key = PrescriberKey.objects.get(prescriber=doctor)
    assert first.signing_key == second.signing_key == key
    stored = bytes(key.encrypted_private_key)
    assert len(bytes(key.public_key)) == 32 and len(stored) > 32
    settings.PRESCRIBER_KEY_SECRET = "another-server-key"
    with pytest.raises(signing.KeyUnreadable):
        signing.unseal(stored, str(key.key_id))


def test_a_rotated_server_secret_still_opens_keys_and_seals_them_again(write, doctor, settings):
    first = write(("Amoxicillin", 20))
    key = PrescriberKey.objects.get(prescriber=doctor)
    settings.PRESCRIBER_KEY_SECRET_FALLBACKS = [settings.PRESCRIBER_KEY_SECRET]
    settings.PRESCRIBER_KEY_SECRET = "the-next-server-secret-of-32-characters-or-more"
    second = write(("Ibuprofen", 10))
    assert second.signing_key == key and signature_is_valid(second)
    key.refresh_from_db()
    settings.PRESCRIBER_KEY_SECRET_FALLBACKS = []
    _private, under_current = signing.unseal(bytes(key.encrypted_private_key), str(key.key_id))
    assert under_current and signature_is_valid(first)


def test_a_key_no_secret_opens_is_retired_and_the_prescriber_gets_a_new_one(write, doctor,
                                                                           settings, api_client):
    first = write(("Amoxicillin", 20))
    old_key = PrescriberKey.objects.get(prescriber=doctor)
    settings.PRESCRIBER_KEY_SECRET = "a-new-server-secret-with-no-fallback-at-all"
    second = write(("Ibuprofen", 10))
    old_key.refresh_from_db()
    assert old_key.revoked_at is not None and second.signing_key != old_key
    assert signature_is_valid(second) and signature_is_valid(first)
    retired = AuditEvent.objects.get(object_type="prescriptions.prescriber_key")
    assert (retired.actor, retired.object_id) == (doctor, str(old_key.key_id))
    assert "retired" in retired.reason
    # The retired public key stays published, so pharmacies still verify what it signed.
    api_client.force_authenticate(doctor)
    published = api_client.get("/api/v1/prescribers/keys/").json()
    rows = published["results"] if isinstance(published, dict) else published
    assert {str(old_key.key_id), str(second.signing_key.key_id)} <= {r["key_id"] for r in rows}


def test_a_chronic_diagnosis_on_the_card_gets_the_longer_validity(write, card):
    add_chronic(card, "I10")
    prescription = write(("Amlodipine", 30), diagnosis="I10")
    assert prescription.chronic
    assert (prescription.valid_until - prescription.available_from).days + 1 == 90


def test_a_controlled_substance_gets_the_short_validity_alone(write):
    prescription = write(("Tramadol", 10), diagnosis="C50.9")
    assert prescription.controlled
    assert (prescription.valid_until - prescription.available_from).days + 1 == 10
    with pytest.raises(ValidationError) as refused:
        write(("Tramadol", 10), ("Ibuprofen", 10), diagnosis="C50.9")
    assert "items" in refused.value.message_dict


@pytest.mark.parametrize("diagnosis", ["", "hypertension", "I1", "10.1", "I10.9"])
def test_an_icd10_diagnosis_is_required(write, diagnosis):
    with pytest.raises(ValidationError) as refused:
        write(("Amoxicillin", 20), diagnosis=diagnosis)
    assert "diagnosis" in refused.value.message_dict
    assert not Prescription.objects.exists()


def test_bad_items_are_refused_per_field_and_nothing_is_written(doctor, card):
    with pytest.raises(ValidationError) as refused:
        issue_prescription(actor=doctor, patient=card.med_id, diagnosis="J06.9", items=[
            {"drug": drug("Amoxicillin").pk, "quantity": 0, "dosage": ""},
            {"drug": 10**9, "quantity": 5, "dosage": "1"},
        ])
    fields = refused.value.message_dict
    assert {"items.0.quantity", "items.0.dosage", "items.1.drug"} <= set(fields)
    with pytest.raises(ValidationError) as refused:
        issue_prescription(actor=doctor, patient=card.med_id, diagnosis="J06.9", items=[])
    assert "items" in refused.value.message_dict
    assert not Prescription.objects.exists() and not PrescriberKey.objects.exists()


@pytest.mark.parametrize("role", [Role.NURSE, Role.REGISTRAR])
def test_only_clinicians_prescribe(polyclinic, card, role):
    with pytest.raises(PermissionDenied):
        issue_prescription(actor=staff_at(polyclinic, role), patient=card.med_id,
                           diagnosis="J06.9",
                           items=[{"drug": drug("Amoxicillin").pk, "quantity": 1,
                                   "dosage": "1"}])


def test_a_card_out_of_scope_is_refused_and_the_refusal_audited(card):
    stranger = staff_at(FacilityFactory(), Role.CLINICIAN)
    with pytest.raises(CardAccessDenied):
        issue_prescription(actor=stranger, patient=card.med_id, diagnosis="J06.9",
                           items=[{"drug": drug("Amoxicillin").pk, "quantity": 1,
                                   "dosage": "1"}])
    assert AuditEvent.objects.filter(actor=stranger, allowed=False,
                                     patient_med_id=card.med_id).exists()
    assert not Prescription.objects.exists()


@pytest.mark.parametrize(("allergy", "inn"), [
    ("Penicillin", "Amoxicillin"),          # the group an allergy is usually recorded by
    ("Пенициллин", "Amoxicillin"),          # in Cyrillic
    ("Ampicillin", "Amoxicillin"),          # a related substance of the same subgroup
    ("Analgin", "Metamizole sodium"),       # a trade name
    ("diclofenac", "Diclofenac"),           # the substance itself
    ("J01C", "Amoxicillin"),                # an ATC group code
])
def test_a_matching_allergy_warns_before_signing(write, card, allergy, inn):
    add_allergy(card, allergy)
    with pytest.raises(AllergyWarningsPending) as warned:
        write((inn, 10))
    assert allergy in warned.value.message_dict["acknowledge_allergies"][0]
    assert not Prescription.objects.exists()
    assert write((inn, 10), acknowledge_allergies=True).status == PrescriptionStatus.ISSUED


@pytest.mark.parametrize(("allergy", "inn"), [("Pollen", "Amoxicillin"),
                                              ("Penicillin", "Azithromycin")])
def test_an_unrelated_allergy_does_not_warn(write, card, allergy, inn):
    add_allergy(card, allergy)
    assert write((inn, 10)).status == PrescriptionStatus.ISSUED


def test_a_repeat_series_has_one_signature_and_issues_at_intervals(write, card):
    add_chronic(card, "E11.9")
    first = write(("Metformin", 60), diagnosis="E11", repeats=3, interval_days=30)
    issues = list(Prescription.objects.filter(series_code=first.code).order_by("issue_number"))
    assert [i.issue_number for i in issues] == [1, 2, 3]
    assert len({i.code for i in issues}) == 3
    assert len({bytes(i.signature) for i in issues}) == 1
    assert [i.available_from - first.available_from for i in issues] == [
        timedelta(0), timedelta(days=30), timedelta(days=60)]
    assert all(signature_is_valid(issue) for issue in issues)
    assert all(issue.items.count() == 1 for issue in issues)


def test_repeats_are_for_chronic_conditions_and_never_for_controlled_drugs(write, card):
    with pytest.raises(ValidationError) as refused:
        write(("Amoxicillin", 20), repeats=2, interval_days=30)
    assert "repeats" in refused.value.message_dict
    add_chronic(card, "C50")
    with pytest.raises(ValidationError) as refused:
        write(("Tramadol", 10), diagnosis="C50.9", repeats=2, interval_days=30)
    assert "repeats" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        write(("Ibuprofen", 10), diagnosis="C50.9", repeats=7, interval_days=30)
    assert "repeats" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        write(("Ibuprofen", 10), diagnosis="C50.9", repeats=2, interval_days=1)
    assert "interval_days" in refused.value.message_dict

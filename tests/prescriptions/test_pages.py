"""The prescription pages: the clinician writes, the patient reads, the pharmacist
dispenses; refusals; query counts that do not grow with rows."""

import re

import pytest
from django.urls import reverse

from dmed.roles import Role
from prescriptions.models import Prescription, PrescriptionItem
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.prescriptions.conftest import add_allergy, drug

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def write_form(diagnosis="J06.9", lines=(("Amoxicillin", 20),), **extra):
    data = {"diagnosis": diagnosis, "repeats": 1, "interval_days": 0,
            "items-TOTAL_FORMS": 3, "items-INITIAL_FORMS": 0, "items-MIN_NUM_FORMS": 1,
            "items-MAX_NUM_FORMS": 10, **extra}
    for index, (inn, quantity) in enumerate(lines):
        data.update({f"items-{index}-drug": f"{inn} · #{drug(inn).pk}",
                     f"items-{index}-quantity": quantity,
                     f"items-{index}-dosage": "1 capsule",
                     f"items-{index}-frequency": "3 times a day"})
    return data


def test_the_card_links_to_prescriptions_for_clinicians(client, doctor, card):
    client.force_login(doctor)
    page = client.get(reverse("patients:card", args=[card.med_id])).content.decode()
    assert reverse("prescriptions:write", args=[card.med_id]) in page


def test_a_clinician_writes_and_signs_from_the_card(client, doctor, card):
    client.force_login(doctor)
    url = reverse("prescriptions:write", args=[card.med_id])
    assert client.get(url).status_code == 200
    answer = client.post(url, write_form())
    prescription = Prescription.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("prescriptions:detail", args=[prescription.code])
    detail = client.get(answer["Location"], **EN).content.decode()
    assert "<svg" in detail and "Amoxicillin" in detail and "Cancel the prescription" in detail


def test_the_allergy_warning_is_shown_before_signing(client, doctor, card):
    add_allergy(card, "Penicillin")
    client.force_login(doctor)
    url = reverse("prescriptions:write", args=[card.med_id])
    warned = client.post(url, write_form(), **EN)
    assert warned.status_code == 200 and 'data-testid="allergy-warnings"' in warned.content.decode()
    assert not Prescription.objects.exists()
    assert client.post(url, write_form(acknowledge_allergies="on")).status_code == 302


def test_bad_input_is_shown_per_field_and_nothing_is_written(client, doctor, card):
    client.force_login(doctor)
    answer = client.post(reverse("prescriptions:write", args=[card.med_id]),
                         {**write_form(diagnosis="flu"), "items-0-drug": "zzzz"}, **EN)
    page = answer.content.decode()
    assert answer.status_code == 200 and "Choose a medicine" in page
    assert not Prescription.objects.exists()
    answer = client.post(reverse("prescriptions:write", args=[card.med_id]),
                         write_form(diagnosis="flu"), **EN)
    assert "ICD-10" in answer.content.decode() and not Prescription.objects.exists()


def test_out_of_scope_and_other_roles_are_refused(client, card, write, pharmacist):
    prescription = write(("Amoxicillin", 20))
    stranger = staff_at(FacilityFactory(), Role.CLINICIAN)
    client.force_login(stranger)
    assert client.get(reverse("prescriptions:write", args=[card.med_id])).status_code == 302
    assert client.get(reverse("prescriptions:detail", args=[prescription.code])).status_code == 404
    client.force_login(pharmacist)
    assert client.get(reverse("prescriptions:write", args=[card.med_id])).status_code == 403
    assert client.get(reverse("prescriptions:detail", args=[prescription.code])).status_code == 404
    client.force_login(UserFactory(role=Role.PATIENT))
    assert client.get(reverse("prescriptions:pharmacy")).status_code == 403
    assert client.get(reverse("prescriptions:detail", args=[prescription.code])).status_code == 404


def test_my_prescriptions_show_qr_and_what_is_left_in_flat_queries(
        client, card, write, at_pharmacy, patient_check, django_assert_max_num_queries):
    from prescriptions.services import dispense

    owner = UserFactory(role=Role.PATIENT)
    card.user = owner
    card.save(update_fields=["user"])
    first = write(("Amoxicillin", 20), ("Ibuprofen", 10))
    dispense(by=at_pharmacy, code=first.code, patient_check=patient_check,
             items=[{"item": 1, "quantity": 10}])
    for _ in range(24):
        write(("Loratadine", 10), ("Cetirizine", 10))
    client.force_login(owner)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("prescriptions:mine"), **EN).content.decode()
    assert page.count('data-testid="qr"') == 25
    assert "partly given, 10 left" in page and "ready" in page


def test_the_pharmacist_checks_the_patient_dispenses_part_and_gets_a_receipt(
        client, card, write, pharmacist, django_assert_max_num_queries):
    prescription = write(*[(inn, 10) for inn in ("Amoxicillin", "Ibuprofen", "Loratadine",
                                                  "Cetirizine", "Omeprazole", "Amlodipine",
                                                  "Metformin", "Enalapril", "Atorvastatin",
                                                  "Bisoprolol")])
    client.force_login(pharmacist)
    lookup = reverse("prescriptions:pharmacy")
    wrong = client.post(lookup, {"code": prescription.code, "patient_check": "0000"}, **EN)
    assert 'data-testid="not-found"' in wrong.content.decode()
    found = client.post(lookup, {"code": f"DMEDRX1:{prescription.code}:x:y:z",
                                 "patient_check": card.pinfl[-4:]})
    page_url = reverse("prescriptions:pharmacy-prescription", args=[prescription.code])
    assert found["Location"] == page_url
    with django_assert_max_num_queries(14):
        page = client.get(page_url, **EN).content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    assert page.count("left") >= 10
    data = {"idempotency_key": key, **{f"quantity-{n}": 0 for n in range(2, 11)},
            "quantity-1": 4}
    answer = client.post(reverse("prescriptions:pharmacy-dispense",
                                 args=[prescription.code]), data)
    assert "/pharmacy/receipts/" in answer["Location"]
    receipt = client.get(answer["Location"], **EN).content.decode()
    assert "given 4, 6 left" in receipt
    # A double click sends the same form again: nothing more is given.
    client.post(reverse("prescriptions:pharmacy-dispense", args=[prescription.code]), data)
    assert PrescriptionItem.objects.get(prescription=prescription, line=1
                                        ).dispensed_quantity == 4


def test_the_pharmacist_records_a_refusal_the_patient_then_sees(client, card, write,
                                                                pharmacist, pharmacy):
    prescription = write(("Amoxicillin", 20))
    client.force_login(pharmacist)
    client.post(reverse("prescriptions:pharmacy"), {"code": prescription.code,
                                                    "patient_check": card.pinfl[-4:]})
    client.post(reverse("prescriptions:pharmacy-refuse", args=[prescription.code]),
                {"line": 1, "reason": "out of stock"})
    owner = UserFactory(role=Role.PATIENT)
    card.user = owner
    card.save(update_fields=["user"])
    client.force_login(owner)
    page = client.get(reverse("prescriptions:mine"), **EN).content.decode()
    assert f"refused at {pharmacy.name}: out of stock" in page


def test_the_pharmacist_sees_a_plain_refusal(client, card, write, pharmacist, doctor):
    from prescriptions.services import cancel_prescription

    prescription = write(("Amoxicillin", 20))
    cancel_prescription(actor=doctor, code=prescription.code, reason="Wrong patient")
    client.force_login(pharmacist)
    client.post(reverse("prescriptions:pharmacy"), {"code": prescription.code,
                                                    "patient_check": card.pinfl[-4:]})
    page = client.get(reverse("prescriptions:pharmacy-prescription",
                              args=[prescription.code]), **EN).content.decode()
    assert 'data-testid="refusal"' in page and "cancelled: Wrong patient" in page
    assert 'data-testid="dispense"' not in page


def test_without_a_patient_check_the_page_asks_for_one(client, write, pharmacist):
    prescription = write(("Amoxicillin", 20))
    client.force_login(pharmacist)
    answer = client.get(reverse("prescriptions:pharmacy-prescription", args=[prescription.code]))
    assert answer.status_code == 302 and prescription.code in answer["Location"]


def test_a_receipt_of_another_pharmacy_is_not_found(client, card, write, at_pharmacy,
                                                    patient_check):
    from prescriptions.services import dispense

    prescription = write(("Amoxicillin", 20))
    dispensing, _ = dispense(by=at_pharmacy, code=prescription.code, patient_check=patient_check,
                             items=[{"item": 1, "quantity": 1}])
    client.force_login(staff_at(FacilityFactory(kind="pharmacy"), Role.PHARMACIST))
    assert client.get(reverse("prescriptions:receipt",
                              args=[dispensing.public_id])).status_code == 404


def test_my_prescriptions_show_pharmacies_of_the_district_with_stock_in_one_query(
        client, card, write, at_pharmacy, patient_check):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pharmacy_sync.services import report_stock
    from prescriptions.services import dispense
    from registry.models import District, FacilityKind

    district = District.objects.get(code="1726294")
    card.district = district
    card.user = UserFactory(role=Role.PATIENT)
    card.save(update_fields=["district", "user"])
    amoxicillin, ibuprofen = drug("Amoxicillin"), drug("Ibuprofen")
    for n in range(6):
        shop = FacilityFactory(kind=FacilityKind.PHARMACY, name=f"Dorixona {n}",
                               district=district)
        report_stock(pharmacy=shop, items=[(amoxicillin.pk, 10 + n), (ibuprofen.pk, n)])
    far = FacilityFactory(kind=FacilityKind.PHARMACY, name="Uzoq dorixona",
                          district=District.objects.exclude(code="1726294").first())
    report_stock(pharmacy=far, items=[(amoxicillin.pk, 500)])
    given = write(("Amoxicillin", 20))
    dispense(by=at_pharmacy, code=given.code, patient_check=patient_check,
             items=[{"item": 1, "quantity": 20}])
    client.force_login(card.user)

    def page_and_queries():
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("prescriptions:mine"), **EN).content.decode()
        return page, len(captured)

    write(("Amoxicillin", 20), ("Ibuprofen", 10))
    page, few = page_and_queries()
    for _ in range(8):
        write(("Amoxicillin", 20), ("Ibuprofen", 10))
    page, many = page_and_queries()

    assert many == few  # one stock query for the whole page, however many medicines
    assert page.count("In stock nearby: Dorixona 5 (15), Dorixona 4 (14), Dorixona 3 (13)"
                      ) == 9
    assert page.count("In stock nearby: Dorixona 5 (5), Dorixona 4 (4), Dorixona 3 (3)") == 9
    assert "Uzoq dorixona" not in page
    assert page.count('data-testid="stock-') == 18  # not for the medicine already given
    # The card's district travels in the link: pharmacy_sync does not read the cards.
    assert (reverse("pharmacy_sync:in-stock", args=[amoxicillin.pk])
            + f"?district={card.district_id}") in page


def test_the_code_field_shows_a_valid_example_code(client, pharmacist):
    from prescriptions.codes import is_valid_code, normalise_code

    client.force_login(pharmacist)
    page = client.get(reverse("prescriptions:pharmacy")).content.decode()
    example = re.search(r'name="code"[^>]*placeholder="([^"]+)"', page).group(1)
    assert is_valid_code(normalise_code(example)) and "-" in example

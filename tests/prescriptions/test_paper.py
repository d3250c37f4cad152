"""Printable prescription pages: the patient's A6 slip and the pharmacy's 80 mm receipt."""

import pytest
from django.urls import reverse

from dmed.models import AuditEvent
from dmed.roles import Role
from prescriptions.codes import format_code
from prescriptions.services import dispense
from registry.models import FacilityKind
from tests.factories import FacilityFactory, UserFactory, staff_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(card):
    card.user = UserFactory(role=Role.PATIENT)
    card.save(update_fields=["user"])
    return card.user


def test_the_patient_prints_a_slip_with_the_code_qr_medicines_and_validity(
        client, write, owner):
    prescription = write(("Amlodipine", 30), ("Metformin", 60), diagnosis="I10")
    client.force_login(owner)
    url = reverse("prescriptions:slip", args=[prescription.code])
    assert url in client.get(reverse("prescriptions:mine")).content.decode()
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'class="paper-a6"' in page and 'name="viewport"' in page
    assert format_code(prescription.code) in page and '<svg' in page
    assert "Amlodipine" in page and "Metformin" in page and "Ovqatdan keyin" in page
    assert (f"{prescription.available_from:%d.%m.%Y} — {prescription.valid_until:%d.%m.%Y}"
            in page)
    assert AuditEvent.objects.filter(actor=owner, object_id=prescription.code).exists()


def test_nobody_else_learns_a_slip_exists(client, write, pharmacist):
    prescription = write(("Amoxicillin", 20))
    url = reverse("prescriptions:slip", args=[prescription.code])
    for stranger in (UserFactory(role=Role.PATIENT), pharmacist):
        client.force_login(stranger)
        assert client.get(url).status_code == 404


def test_the_pharmacy_prints_its_receipt_and_no_other(client, write, card, pharmacist,
                                                      at_pharmacy, patient_check):
    prescription = write(("Amoxicillin", 20), ("Ibuprofen", 10))
    dispensing, _new = dispense(by=at_pharmacy, code=prescription.code,
                                patient_check=patient_check,
                                items=[{"item": 1, "quantity": 20}, {"item": 2, "quantity": 4}])
    url = reverse("prescriptions:receipt-print", args=[dispensing.public_id])
    client.force_login(pharmacist)
    assert url in client.get(reverse("prescriptions:receipt",
                                     args=[dispensing.public_id])).content.decode()
    page = client.get(url).content.decode()
    assert 'class="paper-roll"' in page and format_code(prescription.code) in page
    assert page.count("<tr>") == 3  # the header and two medicines
    elsewhere = staff_at(FacilityFactory(kind=FacilityKind.PHARMACY), Role.PHARMACIST)
    client.force_login(elsewhere)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("language", ["uz", "uz-cyrl", "ru", "en"])
def test_the_slip_as_a6_pdf_in_the_readers_language_with_nothing_overlapping(
        client, write, owner, language):
    """Long medicine names, instructions and the QR beside the code: every word stays in
    its place on the A6 page."""
    from dmed.pdf import A6
    from prescriptions.paper import SLIP_MARGIN, SLIP_QR
    from tests.pdf_layout import MM, drawn_runs, layout_problems

    prescription = write(("Amlodipine", 30), ("Metformin", 60), diagnosis="I10")
    item = prescription.items.get(line=1)
    item.instructions = "Ovqatdan keyin, ertalab va kechqurun, bir stakan suv bilan ichiladi " * 2
    item.save(update_fields=["instructions"])
    client.force_login(owner)
    client.cookies["dmed_language"] = language
    answer = client.get(reverse("prescriptions:slip", args=[prescription.code]) + "?format=pdf")
    assert answer["Content-Type"] == "application/pdf"
    document = answer.content
    assert layout_problems(document, margin_mm=SLIP_MARGIN) == []
    runs, (width, height) = drawn_runs(document)
    assert (round(width / MM), round(height / MM)) == A6
    text = " ".join(run.text for run in runs)
    assert format_code(prescription.code) in text
    assert "Amlodipine" in text and "Metformin" in text  # INNs stay Latin in every script
    heading = {"uz": "Dorilar va ularni qanday qabul qilish",
               "uz-cyrl": "Дорилар ва уларни қандай қабул қилиш",
               "ru": "Лекарства и как их принимать", "en": "Medicines and how to take them"}
    assert heading[language] in text
    # Beside the QR code, text stops where the code begins.
    qr_left = width - (SLIP_MARGIN + SLIP_QR) * MM
    qr_bottom = height - (SLIP_MARGIN + SLIP_QR) * MM
    assert [run.text for run in runs if run.baseline > qr_bottom and run.right > qr_left] == []


def test_the_receipt_as_roll_pdf_as_long_as_its_lines(client, write, card, pharmacist,
                                                      at_pharmacy, patient_check):
    from dmed.pdf import ROLL_MARGIN, ROLL_WIDTH
    from tests.pdf_layout import MM, drawn_runs, layout_problems

    prescription = write(("Amoxicillin", 20), ("Ibuprofen", 10))
    dispensing, _new = dispense(by=at_pharmacy, code=prescription.code,
                                patient_check=patient_check,
                                items=[{"item": 1, "quantity": 20}, {"item": 2, "quantity": 4}])
    client.force_login(pharmacist)
    client.cookies["dmed_language"] = "uz"
    url = reverse("prescriptions:receipt-print", args=[dispensing.public_id])
    assert 'href="?format=pdf"' in client.get(url).content.decode()
    document = client.get(url + "?format=pdf").content
    assert layout_problems(document, margin_mm=ROLL_MARGIN) == []
    runs, (width, height) = drawn_runs(document)
    assert round(width / MM) == ROLL_WIDTH and height / MM < 160  # cut after its last line
    text = " ".join(run.text for run in runs)
    assert "Chek" in text and format_code(prescription.code) in text
    assert "Amoxicillin" in text and "Ibuprofen" in text
    elsewhere = staff_at(FacilityFactory(kind=FacilityKind.PHARMACY), Role.PHARMACIST)
    client.force_login(elsewhere)
    assert client.get(url + "?format=pdf").status_code == 404

"""The compact prescription QR: CBOR claims in a COSE_Sign1, zlib, Base45 (prescriptions/qr.py)."""

import io
import re
from pathlib import Path

import base45
import cbor2
import pytest
import segno
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from prescriptions import qr
from prescriptions.models import Prescription
from prescriptions.selectors import public_key, qr_payload
from prescriptions.services import create_pharmacy_api_key
from tests.prescriptions.conftest import add_chronic

pytestmark = pytest.mark.django_db

# A typical prescription: two medicines, with dosage and instructions.
TWO_MEDICINES = (("Amlodipine", 30), ("Metformin", 60))


def published_keys(pharmacy) -> list[dict]:
    """What a pharmacy system downloads once from /api/v1/prescribers/keys/."""
    _key, plain = create_pharmacy_api_key(pharmacy=pharmacy, name="sync")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")
    return client.get(reverse("api-prescriber-keys")).json()["results"]


def verify_offline(text: str, published: list[dict]) -> dict:
    """The README's verifier, run as printed there: nothing of the portal is imported."""
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    source = re.search(r"A verifier, .*?```python\n(.*?)```", readme, re.S).group(1)
    namespace: dict = {}
    exec(source, namespace)  # noqa: S102 (our own README's example)
    return namespace["verify"](text, published)


def test_a_two_medicine_prescription_fits_a_qr_of_under_300_characters(write, card, pharmacy):
    prescription = write(*TWO_MEDICINES, diagnosis="I10")
    text = qr_payload(Prescription.objects.get(pk=prescription.pk))
    print(f"\ncompact QR of a two-medicine prescription: {len(text)} characters")
    assert len(text) < 300
    assert set(text[len(qr.PREFIX):]) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    claims = verify_offline(text, published_keys(pharmacy))
    assert (claims["code"], claims["patient"], claims["diagnosis"]) == (
        prescription.code, card.med_id, "I10")
    assert [line[2] for line in claims["items"]] == [30, 60]


def test_reading_gives_the_issue_and_refuses_a_changed_or_unknown_one(write, card):
    add_chronic(card, "I10")
    prescription = write(*TWO_MEDICINES, diagnosis="I10", repeats=2, interval_days=30)
    second = Prescription.objects.get(series_code=prescription.code, issue_number=2)
    read = qr.read(qr_payload(second), public_key)
    assert (read.code, read.series, read.issue_number, read.issues_total) == (
        second.code, prescription.code, 2, 2)
    assert (read.available_from, read.valid_until) == (second.available_from,
                                                        second.valid_until)
    assert read.items[0][0] == "C08CA01" and read.items[1][2] == 60

    # Another quantity, signed by nobody: the signature no longer verifies.
    message = cbor2.loads(bytes(second.qr_message))
    content = cbor2.loads(message.value[2])
    content[qr.ITEMS][1][2] = 600
    message.value[2] = cbor2.dumps(content)
    forged = qr.encode(cbor2.dumps(message))
    with pytest.raises(qr.UnreadableQr):
        qr.read(forged, public_key)
    with pytest.raises(qr.UnreadableQr):
        qr.read(qr_payload(second), lambda key_id: None)
    for garbage in ("DMEDRX2:", "DMEDRX2:!!!", "DMEDRX2:" + base45.b45encode(b"x").decode(),
                    "hello"):
        with pytest.raises(qr.UnreadableQr):
            qr.read(garbage, public_key)


def test_a_qr_read_by_a_decoder_from_the_rendered_image_verifies(write, pharmacy):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    prescription = write(*TWO_MEDICINES)
    text = qr_payload(Prescription.objects.get(pk=prescription.pk))
    png = io.BytesIO()
    segno.make(text, error="l").save(png, kind="png", scale=4)  # as the pages draw it
    png.seek(0)
    [scanned] = zxingcpp.read_barcodes(Image.open(png))
    assert scanned.text == text
    assert verify_offline(scanned.text, published_keys(pharmacy))["code"] == prescription.code


def test_the_pharmacy_check_accepts_the_scanned_qr_and_refuses_a_forged_one(
        client, card, write, pharmacist):
    prescription = write(*TWO_MEDICINES)
    client.force_login(pharmacist)
    lookup = reverse("prescriptions:pharmacy")
    found = client.post(lookup, {"code": qr_payload(prescription),
                                 "patient_check": card.pinfl[-4:]})
    assert found["Location"] == reverse("prescriptions:pharmacy-prescription",
                                        args=[prescription.code])
    forged = qr_payload(prescription)[:-6] + "AAAAAA"
    refused = client.post(lookup, {"code": forged, "patient_check": card.pinfl[-4:]},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200
    assert "This QR is not a valid DMED prescription" in refused.content.decode()


def test_issues_signed_before_the_compact_qr_keep_their_first_form(write):
    prescription = write(*TWO_MEDICINES)
    Prescription.objects.filter(pk=prescription.pk).update(qr_message=b"")
    legacy = qr_payload(Prescription.objects.get(pk=prescription.pk))
    assert legacy.startswith(f"DMEDRX1:{prescription.code}:")


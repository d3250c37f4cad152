"""Each prescription event from the real service call in prescriptions to what people and
pharmacy systems get: the patient's message in their language through a real SMS gateway,
and the signed webhook POSTed to the district's other pharmacies (a real local server)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from dmed.roles import Role
from notifications.models import Message
from notifications.texts import render
from outbox import services as outbox_services
from outbox.kinds import (
    PRESCRIPTION_CANCELLED,
    PRESCRIPTION_DISPENSED,
    PRESCRIPTION_EXPIRED,
    PRESCRIPTION_EXPIRING,
    PRESCRIPTION_ISSUED,
)
from outbox.models import Delivery, Event
from pharmacy_sync import services as pharmacy_services
from pharmacy_sync import signing
from prescriptions.services import (
    cancel_prescription,
    dispense,
    expire_prescriptions,
    warn_expiring,
)
from registry.models import District, FacilityKind
from tests.factories import FacilityFactory, UserFactory
from tests.patients.factories import CardFactory
from tests.prescriptions import conftest as prescriptions_world
from tests.prescriptions.conftest import BIRTH, pinfl_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("awake")]

# The prescriptions tests' fixtures, found by name; the card is redefined below.
polyclinic = prescriptions_world.polyclinic
doctor = prescriptions_world.doctor
pharmacy = prescriptions_world.pharmacy  # in Chilonzor, like the card: it dispenses
pharmacist = prescriptions_world.pharmacist
at_pharmacy = prescriptions_world.at_pharmacy
write = prescriptions_world.write


@pytest.fixture
def card(polyclinic):
    """A Russian-speaking patient of Chilonzor with an account and a phone for SMS."""
    return CardFactory(user=UserFactory(role=Role.PATIENT, language="ru", email=""),
                       phone="+998901112233", attached_facility=polyclinic,
                       registered_at=polyclinic, birth_date=BIRTH, pinfl=pinfl_for(BIRTH, 1),
                       district=District.objects.get(code="1726294"))


@pytest.fixture
def patient_check(card):
    return card.pinfl[-4:]


@pytest.fixture
def hooks(sms_gateway, settings, card, pharmacy):
    """Webhooks of two pharmacies of the district, on the same local server as the SMS
    gateway (plain http: a developer's machine). Returns the neighbour's secret."""
    settings.DEBUG = True
    neighbour = FacilityFactory(kind=FacilityKind.PHARMACY, name="Dorixona 7",
                                district=card.district)
    pharmacy_services.register_webhook(pharmacy=pharmacy, url=f"{sms_gateway.url}/own")
    return pharmacy_services.register_webhook(pharmacy=neighbour,
                                              url=f"{sms_gateway.url}/hook").secret


def _deliver():
    """The relay's and the workers' work, done here."""
    outbox_services.fan_out()
    pending = list(Delivery.objects.filter(status="pending").values_list("pk", flat=True))
    assert set(outbox_services.handle_deliveries(pending).values()) <= {"done"}


def _sms(server) -> list[str]:
    return [r.json()["text"] for r in server.received if r.path == "/sms/send"]


def _webhooks(server, secret, path="/hook") -> list[dict]:
    bodies = []
    for request in (r for r in server.received if r.path == path):
        assert signing.verify(secret, request.headers[signing.TIMESTAMP_HEADER],
                              request.headers[signing.SIGNATURE_HEADER], request.body)
        bodies.append(json.loads(request.body))
    return bodies


def _told(kind, card) -> str:
    """The patient's message for the event, as it reads in Russian."""
    event = Event.objects.get(kind=kind)
    text = render(kind, event.payload, "ru")
    assert text.startswith("DMED:") and any("а" <= c <= "я" for c in text.lower())
    assert Message.objects.get(event=event).language == "ru"
    return text


def test_issuing_tells_the_patient_and_the_districts_pharmacies(write, card, sms_gateway,
                                                                hooks):
    prescription = write(("Amoxicillin", 20))
    _deliver()

    [text] = _sms(sms_gateway)
    assert text == _told(PRESCRIPTION_ISSUED, card) and prescription.code in text
    [hook] = _webhooks(sms_gateway, hooks)
    assert hook["kind"] == PRESCRIPTION_ISSUED
    assert hook["data"]["code"] == prescription.code and "Amoxicillin" in hook["data"]["drug"]
    assert card.med_id not in json.dumps(hook)


def test_cancelling_tells_the_patient_and_the_pharmacies(write, doctor, card, sms_gateway,
                                                         hooks):
    prescription = write(("Amoxicillin", 20))
    cancel_prescription(actor=doctor, code=prescription.code, reason="Wrong dose")
    _deliver()

    assert _sms(sms_gateway)[1] == _told(PRESCRIPTION_CANCELLED, card)
    assert [h["kind"] for h in _webhooks(sms_gateway, hooks)] == [
        PRESCRIPTION_ISSUED, PRESCRIPTION_CANCELLED]
    assert _webhooks(sms_gateway, hooks)[1]["data"]["reason"] == "Wrong dose"


def test_a_dispensing_tells_the_patient_at_once_and_the_other_pharmacies(
        write, at_pharmacy, patient_check, card, sms_gateway, hooks, pharmacy, settings):
    prescription = write(("Amoxicillin", 20))
    _deliver()
    hour = timezone.localtime().hour
    settings.NOTIFY_QUIET_HOURS = (hour, (hour + 1) % 24)  # quiet hours: urgent ones only
    dispense(by=at_pharmacy, code=prescription.code, patient_check=patient_check,
             items=[{"item": 1, "quantity": 5}])
    _deliver()

    text = _sms(sms_gateway)[1]
    assert text == _told(PRESCRIPTION_DISPENSED, card) and pharmacy.name in text
    dispensed = _webhooks(sms_gateway, hooks)[1]
    assert dispensed["kind"] == PRESCRIPTION_DISPENSED
    assert dispensed["data"]["status"] == "partially_dispensed"
    assert dispensed["data"]["quantity"] == 5
    # The pharmacy that dispensed heard of the issue, not of its own dispensing.
    own = [r.json()["kind"] for r in sms_gateway.received if r.path == "/own"]
    assert own == [PRESCRIPTION_ISSUED]


def test_before_expiry_the_patient_is_reminded_and_at_expiry_the_pharmacies_are_told(
        write, card, sms_gateway, hooks):
    prescription = write(("Amoxicillin", 20))
    _deliver()
    warn_expiring(today=prescription.valid_until - timedelta(days=3))
    _deliver()

    text = _sms(sms_gateway)[1]
    assert text == _told(PRESCRIPTION_EXPIRING, card)
    assert prescription.valid_until.strftime("%d.%m.%Y") in text
    assert len(_webhooks(sms_gateway, hooks)) == 1  # pharmacies need no warning

    expire_prescriptions(today=prescription.valid_until + timedelta(days=1))
    _deliver()
    assert len(_sms(sms_gateway)) == 2  # the patient was warned; expiry itself is silent
    expired = _webhooks(sms_gateway, hooks)[-1]
    assert (expired["kind"], expired["data"]["code"]) == (PRESCRIPTION_EXPIRED,
                                                         prescription.code)

import pytest

from dmed.roles import Role
from outbox import services as outbox_services
from outbox.events import emit
from outbox.kinds import PRESCRIPTION_ISSUED
from outbox.models import Delivery
from tests.factories import UserFactory
from tests.patients.factories import CardFactory

ISSUED = {"code": "RX7Q2K", "drug": "Amoksitsillin 500 mg", "valid_until": "2026-12-31"}


@pytest.fixture
def patient(db):
    """A patient with an account, a phone on the card and an e-mail, writing Russian."""
    user = UserFactory(role=Role.PATIENT, language="ru", email="aziz@example.uz")
    CardFactory(user=user, phone="+998901234567")
    return user


@pytest.fixture
def sms_gateway(local_server, settings):
    settings.SMS_GATEWAY_URL = f"{local_server.url}/sms/send"
    settings.SMS_GATEWAY_TOKEN = "gateway-token"
    settings.NOTIFY_HTTP_TIMEOUT = 1.0
    return local_server


@pytest.fixture
def awake(settings):
    """Quiet hours that never come, so tests do not depend on the clock."""
    settings.NOTIFY_QUIET_HOURS = (24, 0)


def issue(patient, **payload):
    """An event as a service raises it, relayed into its notification delivery."""
    event = emit(PRESCRIPTION_ISSUED, {"med_id": patient.patient_card.med_id,
                                       **ISSUED, **payload})
    outbox_services.fan_out()
    return event, Delivery.objects.get(event=event, consumer="notifications")

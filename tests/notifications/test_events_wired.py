"""Events raised inside other apps' services reach people: each wired emit, with the
message it produces."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from clinics.labs import services as lab_services
from dmed.roles import Role
from notifications.models import Message
from outbox import services as outbox_services
from outbox.kinds import LAB_RESULT_RELEASED
from outbox.models import Delivery, Event
from tests.clinics.lab_helpers import lab_world, released_result
from tests.factories import UserFactory
from tests.patients.factories import CardFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("awake")]


@pytest.fixture
def lab_patient():
    world = lab_world()
    user = UserFactory(role=Role.PATIENT, language="ru", email="")
    card = CardFactory(user=user, phone="+998901112233", attached_facility=world.polyclinic,
                       registered_at=world.polyclinic, sex="female",
                       birth_date=date(1990, 4, 2))
    return world, card


def test_a_released_lab_result_tells_the_patient_in_their_language(lab_patient, sms_gateway):
    world, card = lab_patient
    result = released_result(world, card, "HGB", Decimal("128"))

    event = Event.objects.get(kind=LAB_RESULT_RELEASED)
    assert event.payload["med_id"] == card.med_id
    assert event.payload["result"] == str(result.public_id)
    assert event.dedupe_key == f"lab-result:{result.public_id}:released"
    outbox_services.fan_out()
    outbox_services.handle_delivery(Delivery.objects.get(consumer="notifications").pk)
    text = sms_gateway.received[0].json()["text"]
    assert "Гемоглобин" in text and world.laboratory.name in text  # Russian test name
    assert Message.objects.get().status == "sent"


def test_a_refused_release_raises_no_event(lab_patient):
    world, card = lab_patient
    order = lab_services.place_lab_order(actor=world.doctor, med_id=card.med_id,
                                         laboratory=world.laboratory, tests=["HGB"])
    result = lab_services.enter_result(actor=world.technician, order_id=order.public_id,
                                       test_code="HGB", value=Decimal("30"),
                                       sampled_at=order.ordered_at)
    with pytest.raises(PermissionDenied):  # a critical value needs a second technician
        lab_services.release_result(actor=world.technician, result_id=result.public_id)
    assert not Event.objects.exists()

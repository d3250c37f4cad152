"""Watching deliveries in the admin shows whether a message or an event went out, not what
it said about a patient (a result's value, a name)."""

import uuid

import pytest

from dmed.roles import Role
from notifications.models import Message
from outbox.events import emit
from outbox.kinds import PRESCRIPTION_ISSUED
from outbox.models import Event

SECRET = "Glyukoza 9.87 mmol/l, Karimova Dilfuza"


@pytest.mark.django_db
def test_an_administrator_sees_the_delivery_but_not_what_it_said(client, make_user):
    client.force_login(make_user(Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    emit(PRESCRIPTION_ISSUED, {"recipients": ["1"], "patient": SECRET})
    event = Event.objects.get()
    message = Message.objects.create(uuid=uuid.uuid4(), event=event, kind="lab.result_released",
                                     recipient=make_user(Role.PATIENT), language="uz",
                                     text=SECRET, provider_answer="500 Internal Server Error")
    event_page = client.get(f"/admin/outbox/event/{event.pk}/change/")
    message_page = client.get(f"/admin/notifications/message/{message.pk}/change/")
    for page, shown in ((event_page, PRESCRIPTION_ISSUED),
                        (message_page, "500 Internal Server Error")):
        assert page.status_code == 200
        body = page.content.decode()
        assert shown in body and SECRET not in body

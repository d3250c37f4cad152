"""Faults the notification path must survive, on a real Celery worker, real Redis and
PostgreSQL, and a real local SMS gateway that drops copies by message ID (as gateways
with client message IDs do): what the recipient receives is one message per ID."""

import time

import pytest
from django.db import transaction

from dmed.roles import Role
from notifications.models import Message, MessageStatus
from outbox import services as outbox_services
from outbox.events import emit
from outbox.kinds import PRESCRIPTION_ISSUED
from outbox.models import Delivery, DeliveryStatus
from outbox.tasks import deliver
from registry.services import load_administrative_divisions
from tests.conftest import start_redis
from tests.factories import UserFactory
from tests.notifications.conftest import ISSUED
from tests.patients.factories import CardFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def registries(transactional_db):
    """Regions and districts, which an earlier transactional test may have flushed."""
    load_administrative_divisions()


def _patients(count):
    users = []
    for n in range(count):
        user = UserFactory(role=Role.PATIENT, language="uz")
        CardFactory(user=user, phone=f"+99890{n:07d}")
        users.append(user)
    return users


def _issue_in_a_service_transaction(user, code):
    with transaction.atomic():
        return emit(PRESCRIPTION_ISSUED, {"med_id": user.patient_card.med_id, **ISSUED,
                                          "code": code})


def _relay_until(condition, timeout=60.0):
    """Beat's job, done here: relay every 0.2 s until the condition holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        outbox_services.relay()
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("the outbox did not get there in time")


def _per_recipient(received):
    delivered = {}
    for request in received:
        body = request.json()
        delivered.setdefault(body["to"], set()).add(body["message_id"])
    return delivered


def test_with_redis_down_events_wait_and_all_go_out_once_it_is_back(
        sms_gateway, celery_on_own_broker, start_worker, request):
    process, url = celery_on_own_broker
    patients = _patients(4)
    process.kill()
    process.wait()

    for n, user in enumerate(patients):  # the services' requests succeed without Redis
        _issue_in_a_service_transaction(user, f"RX{n}")
    assert outbox_services.relay() == (4, 0)
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 4

    back = start_redis(int(url.rsplit(":", 1)[1].split("/")[0]))
    request.addfinalizer(back.kill)
    start_worker(url, SMS_GATEWAY_URL=sms_gateway.url + "/sms/send",
                 SMS_GATEWAY_TOKEN="gateway-token")
    # Extra copies of every task, as a redelivery after a lost worker would make.
    for delivery_id in Delivery.objects.values_list("pk", flat=True):
        deliver.apply_async((delivery_id,))
    _relay_until(lambda: Message.objects.filter(status=MessageStatus.SENT).count() == 4)

    time.sleep(1.0)  # let any stray copy run: it must change nothing
    assert len(sms_gateway.received) == 4  # not even a copy reached the gateway
    delivered = _per_recipient(sms_gateway.received)
    assert sorted(delivered) == sorted(u.patient_card.phone for u in patients)
    assert all(len(ids) == 1 for ids in delivered.values())
    assert not Delivery.objects.exclude(status=DeliveryStatus.DONE).exists()


def test_a_worker_killed_mid_task_runs_it_again_and_the_recipient_gets_one_message(
        sms_gateway, celery_on_own_broker, start_worker):
    _process, url = celery_on_own_broker
    [user] = _patients(1)
    sms_gateway.answer((200, 5.0), (200, 0.0))  # the first send hangs: the kill comes then
    worker = start_worker(url, SMS_GATEWAY_URL=sms_gateway.url + "/sms/send",
                          NOTIFY_HTTP_TIMEOUT="20")
    _issue_in_a_service_transaction(user, "RX1")
    outbox_services.relay()

    sms_gateway.wait_for(1)
    worker.kill_task_process()
    _relay_until(lambda: Message.objects.filter(status=MessageStatus.SENT).exists())

    assert len(sms_gateway.received) == 2  # the task ran again…
    assert _per_recipient(sms_gateway.received) == {  # …and it is the same one message
        user.patient_card.phone: {str(Message.objects.get().uuid)}}
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DONE and delivery.attempts == 2


def test_a_failing_gateway_is_retried_with_growing_waits_then_dead_lettered_then_retried(
        sms_gateway, celery_on_own_broker, start_worker):
    _process, url = celery_on_own_broker
    [user] = _patients(1)
    # 500, then no answer within the timeout, then 500 again: three failed attempts.
    sms_gateway.answer((500, 0.0), (200, 3.0), (500, 0.0))
    start_worker(url, SMS_GATEWAY_URL=sms_gateway.url + "/sms/send", NOTIFY_HTTP_TIMEOUT="1",
                 OUTBOX_MAX_ATTEMPTS="3", OUTBOX_RETRY_BASE_SECONDS="1")
    _issue_in_a_service_transaction(user, "RX1")
    _relay_until(lambda: Delivery.objects.filter(status=DeliveryStatus.DEAD).exists())

    first, second, third = (r.at for r in sms_gateway.received)
    # Waits are drawn from [½·base·2ⁿ⁻¹, base·2ⁿ⁻¹]: at least 0.5 s, then at least 1 s
    # (after the second attempt's 1 s timeout).
    assert second - first >= 0.5
    assert third - second >= 1.0 + 1.0
    message = Message.objects.get()
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 3)
    assert "500" in Delivery.objects.get().last_error

    sms_gateway.answer((200, 0.0))
    assert outbox_services.retry_dead_letters(Delivery.objects.all()) == 1
    _relay_until(lambda: Message.objects.filter(status=MessageStatus.SENT).exists())
    assert len(sms_gateway.received) == 4

"""Sending one event's message: channels in fallback order, real HTTP providers, the
delivery log, quiet hours, rate limits, and never twice to the same person."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications import services
from notifications.models import Message, MessageStatus, Preference
from outbox import services as outbox_services
from outbox.models import Delivery, DeliveryStatus
from tests.notifications.conftest import issue
from tests.outbox.conftest import real_queries

TASHKENT = ZoneInfo("Asia/Tashkent")
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("awake")]


def test_an_sms_goes_through_the_gateway_in_the_recipients_language(patient, sms_gateway):
    event, delivery = issue(patient)

    assert outbox_services.handle_delivery(delivery.pk) == "done"
    [request] = sms_gateway.received
    assert request.path == "/sms/send"
    assert request.headers["Authorization"] == "Bearer gateway-token"
    body = request.json()
    assert body["to"] == "+998901234567" and body["from"] == "DMED"
    assert "RX7Q2K" in body["text"] and "рецепт" in body["text"].lower()  # Russian
    message = Message.objects.get()
    assert (message.status, message.channel, message.attempts) == ("sent", "sms", 1)
    assert body["message_id"] == str(message.uuid)
    assert message.provider_answer.startswith("sms: 200")


def test_telegram_comes_first_and_falls_back_to_sms_when_it_fails(
        patient, sms_gateway, settings):
    settings.TELEGRAM_BOT_TOKEN = "123:bot-token"
    settings.TELEGRAM_API_URL = sms_gateway.url
    Preference.objects.create(user=patient, telegram_chat_id=555001)
    sms_gateway.answer((502, 0.0), (200, 0.0))
    _event, delivery = issue(patient)

    assert outbox_services.handle_delivery(delivery.pk) == "done"
    telegram, sms = sms_gateway.received
    assert telegram.path == "/bot123:bot-token/sendMessage"
    assert telegram.json()["chat_id"] == 555001
    assert sms.path == "/sms/send"
    message = Message.objects.get()
    assert message.channel == "sms"
    assert message.provider_answer.startswith("telegram: 502") and "; sms: 200" in (
        message.provider_answer)


def test_a_linked_telegram_that_answers_takes_the_message(patient, local_server, settings):
    settings.TELEGRAM_BOT_TOKEN = "123:bot-token"
    settings.TELEGRAM_API_URL = local_server.url
    Preference.objects.create(user=patient, telegram_chat_id=555001)
    _event, delivery = issue(patient)

    outbox_services.handle_delivery(delivery.pk)
    assert [r.path for r in local_server.received] == ["/bot123:bot-token/sendMessage"]
    assert Message.objects.get().channel == "telegram"


def test_without_sms_chosen_the_message_goes_by_e_mail(patient, sms_gateway):
    services.choose_channels(user=patient, telegram=True, sms=False, email=True)
    _event, delivery = issue(patient)

    outbox_services.handle_delivery(delivery.pk)
    assert sms_gateway.received == []
    [letter] = mail.outbox
    assert letter.to == ["aziz@example.uz"] and "RX7Q2K" in letter.body
    assert Message.objects.get().channel == "email"


def test_when_every_channel_fails_the_outbox_retries_and_the_log_keeps_the_answers(
        patient, sms_gateway, settings):
    services.choose_channels(user=patient, telegram=True, sms=True, email=False)
    sms_gateway.answer((500, 0.0), (200, 0.0))
    _event, delivery = issue(patient)

    assert outbox_services.handle_delivery(delivery.pk) == "retry"
    message = Message.objects.get()
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.provider_answer.startswith("sms: 500")

    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert outbox_services.handle_delivery(delivery.pk) == "done"
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    assert len(sms_gateway.received) == 2


def test_a_gateway_that_does_not_answer_in_time_is_a_failed_attempt(patient, sms_gateway):
    services.choose_channels(user=patient, telegram=False, sms=True, email=False)
    sms_gateway.answer((200, 2.5))  # longer than NOTIFY_HTTP_TIMEOUT
    _event, delivery = issue(patient)

    assert outbox_services.handle_delivery(delivery.pk) == "retry"
    assert "no answer" in Message.objects.get().provider_answer


def test_a_person_with_no_reachable_channel_is_logged_and_not_retried(patient, sms_gateway):
    services.choose_channels(user=patient, telegram=True, sms=False, email=False)
    _event, delivery = issue(patient)

    assert outbox_services.handle_delivery(delivery.pk) == "done"
    assert Message.objects.get().status == MessageStatus.UNDELIVERABLE
    assert sms_gateway.received == []


def test_an_event_handled_twice_reaches_the_person_once(patient, sms_gateway):
    event, delivery = issue(patient)
    outbox_services.handle_delivery(delivery.pk)
    # Even called directly once more (as a duplicate consumer run would), nothing is sent.
    services.notify(event=event, recipient_id=patient.pk)
    assert len(sms_gateway.received) == 1
    assert Message.objects.count() == 1


def test_a_card_without_an_account_gets_no_delivery(sms_gateway):
    from tests.patients.factories import CardFactory

    card = CardFactory()
    from outbox.events import emit
    from outbox.kinds import PRESCRIPTION_ISSUED
    emit(PRESCRIPTION_ISSUED, {"med_id": card.med_id, "code": "X", "drug": "Y",
                               "valid_until": "2026-12-31"})
    outbox_services.fan_out()
    assert not Delivery.objects.filter(consumer="notifications").exists()


@pytest.mark.parametrize(("local", "wakes"), [
    (datetime(2026, 3, 1, 22, 0, tzinfo=TASHKENT), datetime(2026, 3, 2, 7, 0, tzinfo=TASHKENT)),
    (datetime(2026, 3, 1, 23, 59, tzinfo=TASHKENT), datetime(2026, 3, 2, 7, 0, tzinfo=TASHKENT)),
    (datetime(2026, 3, 2, 0, 30, tzinfo=TASHKENT), datetime(2026, 3, 2, 7, 0, tzinfo=TASHKENT)),
    (datetime(2026, 3, 2, 6, 59, tzinfo=TASHKENT), datetime(2026, 3, 2, 7, 0, tzinfo=TASHKENT)),
    (datetime(2026, 3, 2, 7, 0, tzinfo=TASHKENT), None),
    (datetime(2026, 3, 2, 21, 59, tzinfo=TASHKENT), None),
])
def test_quiet_hours_run_from_22_to_7_local_time(settings, local, wakes):
    settings.NOTIFY_QUIET_HOURS = (22, 7)
    assert services.quiet_hours_end(local) == wakes


def _quiet_now(settings):
    hour = timezone.localtime().hour
    settings.NOTIFY_QUIET_HOURS = (hour, (hour + 1) % 24)


def test_in_quiet_hours_a_non_urgent_message_waits_an_urgent_one_goes(
        patient, sms_gateway, settings):
    _quiet_now(settings)
    _event, delivery = issue(patient)

    assert outbox_services.handle_delivery(delivery.pk) == "deferred"
    delivery.refresh_from_db()
    assert delivery.attempts == 0 and delivery.next_attempt_at > timezone.now()
    assert Message.objects.get().status == MessageStatus.QUEUED and sms_gateway.received == []

    from outbox.events import emit
    from outbox.kinds import TICKET_CALLED
    called = emit(TICKET_CALLED, {"med_id": patient.patient_card.med_id, "ticket": "A-017",
                                  "service_point": "14"})
    outbox_services.fan_out()
    urgent = Delivery.objects.get(event=called)
    assert outbox_services.handle_delivery(urgent.pk) == "done"
    assert len(sms_gateway.received) == 1 and "A-017" in sms_gateway.received[0].json()["text"]


def test_over_the_rate_limit_non_urgent_messages_wait_for_the_window(
        patient, sms_gateway, settings):
    settings.NOTIFY_RATE_LIMIT_PER_HOUR = 2
    for code in ["A1", "A2"]:
        _event, delivery = issue(patient, code=code)
        assert outbox_services.handle_delivery(delivery.pk) == "done"
    first_sent = Message.objects.order_by("sent_at").first().sent_at

    _event, third = issue(patient, code="A3")
    assert outbox_services.handle_delivery(third.pk) == "deferred"
    third.refresh_from_db()
    assert third.next_attempt_at == first_sent + timedelta(hours=1)
    assert len(sms_gateway.received) == 2
    assert Delivery.objects.get(pk=third.pk).status == DeliveryStatus.PENDING


def test_on_a_developers_machine_an_unconfigured_sms_goes_to_a_file(
        patient, settings, tmp_path):
    settings.DEBUG = True
    settings.SMS_GATEWAY_URL = ""
    settings.NOTIFY_FILE_DIR = str(tmp_path)
    services.choose_channels(user=patient, telegram=False, sms=True, email=False)
    _event, delivery = issue(patient)

    outbox_services.handle_delivery(delivery.pk)
    [line] = (tmp_path / "sms.log").read_text().splitlines()
    assert json.loads(line)["to"] == "+998901234567"
    assert Message.objects.get().status == MessageStatus.SENT


def test_in_production_an_unconfigured_sms_is_skipped(patient, settings):
    settings.DEBUG = False
    settings.SMS_GATEWAY_URL = ""
    services.choose_channels(user=patient, telegram=False, sms=True, email=False)
    _event, delivery = issue(patient)

    assert outbox_services.handle_delivery(delivery.pk) == "retry"
    assert Message.objects.get().provider_answer == "sms: not configured"


def test_a_message_costs_seven_queries_outbox_included(sms_gateway):
    from dmed.roles import Role
    from tests.factories import UserFactory
    from tests.patients.factories import CardFactory

    deliveries = []
    for n in range(10):
        user = UserFactory(role=Role.PATIENT, language=["uz", "ru"][n % 2])
        CardFactory(user=user, phone=f"+99890{n:07d}")
        deliveries.append(issue(user, code=f"RX{n}")[1].pk)

    with CaptureQueriesContext(connection) as captured:
        outcomes = outbox_services.handle_deliveries(deliveries)
    assert set(outcomes.values()) == {"done"} and len(sms_gateway.received) == 10
    # The claim, the delivery row with its event, the recipient with channels and phone,
    # their message for the event, the rate limit's count, the message, the final status.
    assert len(real_queries(captured)) <= 7 * len(deliveries)


def _patients_with_deliveries(count: int) -> list[int]:
    from dmed.roles import Role
    from tests.factories import UserFactory
    from tests.patients.factories import CardFactory

    deliveries = []
    for n in range(count):
        user = UserFactory(role=Role.PATIENT, language=["uz", "ru"][n % 2])
        CardFactory(user=user, phone=f"+99890{n:07d}")
        deliveries.append(issue(user, code=f"RX{n}")[1].pk)
    return deliveries


@pytest.mark.parametrize("count", [3, 12])
def test_a_batch_of_messages_costs_seven_queries_however_many(sms_gateway, count):
    deliveries = _patients_with_deliveries(count)

    with CaptureQueriesContext(connection) as captured:
        outcomes = outbox_services.handle_deliveries(deliveries)
    assert set(outcomes.values()) == {"done"} and len(sms_gateway.received) == count
    assert Message.objects.filter(status=MessageStatus.SENT).count() == count
    # The claim, the deliveries with their events, the recipients with channels and phones,
    # their messages for the events, the rate limit's counts, one INSERT of the messages,
    # one UPDATE of the deliveries.
    assert len(real_queries(captured)) == 7


def test_messages_sent_earlier_in_a_batch_count_towards_the_rate_limit(
        patient, sms_gateway, settings):
    settings.NOTIFY_RATE_LIMIT_PER_HOUR = 2
    deliveries = [issue(patient, code=code)[1].pk for code in ["A1", "A2", "A3"]]

    outcomes = outbox_services.handle_deliveries(deliveries)
    assert list(outcomes.values()) == ["done", "done", "deferred"]
    assert len(sms_gateway.received) == 2
    first_sent = Message.objects.filter(status=MessageStatus.SENT).order_by("sent_at")[0]
    assert Delivery.objects.get(pk=deliveries[2]).next_attempt_at == (
        first_sent.sent_at + timedelta(hours=1))
    assert Message.objects.get(status=MessageStatus.QUEUED).attempts == 0

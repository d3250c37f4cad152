"""The notifications page and the Telegram bot's webhook that receives link codes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Preference, TelegramLinkCode

pytestmark = pytest.mark.django_db
HOOK = "/notifications/telegram/webhook/"


def _update(chat_id, text):
    return {"update_id": 1, "message": {"message_id": 9, "chat": {"id": chat_id},
                                        "text": text}}


@pytest.fixture
def hook_secret(settings):
    settings.TELEGRAM_WEBHOOK_SECRET = "hook-secret"
    return {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": "hook-secret"}


def test_the_page_needs_a_sign_in(client):
    response = client.get("/me/notifications/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_patient_chooses_channels(client, patient):
    client.force_login(patient)
    page = client.get("/me/notifications/")
    assert page.status_code == 200
    assert b'data-testid="reachable"' in page.content

    response = client.post("/me/notifications/", {"sms": "on"})
    assert response.status_code == 302
    preference = Preference.objects.get(user=patient)
    assert (preference.telegram, preference.sms, preference.email) == (False, True, False)


def test_a_patient_links_telegram_with_a_one_time_code(client, patient, hook_secret):
    client.force_login(patient)
    page = client.post("/me/notifications/telegram/code/")
    code = TelegramLinkCode.objects.get(user=patient).code
    assert code.encode() in page.content

    answer = client.post(HOOK, _update(777001, f"/start {code}"),
                         content_type="application/json", **hook_secret)
    assert answer.status_code == 200
    body = answer.json()
    assert body["method"] == "sendMessage" and body["chat_id"] == 777001
    assert "привязана" in body["text"]  # the patient writes Russian
    assert Preference.objects.get(user=patient).telegram_chat_id == 777001

    # The code is spent: a second use (or someone else's chat) links nothing.
    again = client.post(HOOK, _update(777002, code), content_type="application/json",
                        **hook_secret)
    assert again.json()["text"].startswith("Bu kod noma’lum")  # the default language
    assert Preference.objects.get(user=patient).telegram_chat_id == 777001

    client.post("/me/notifications/telegram/unlink/")
    assert Preference.objects.get(user=patient).telegram_chat_id is None


def test_an_expired_code_links_nothing(client, patient, hook_secret):
    TelegramLinkCode.objects.create(user=patient, code="ABCD1234",
                                    expires_at=timezone.now() - timedelta(seconds=1))
    client.post(HOOK, _update(777001, "ABCD1234"), content_type="application/json",
                **hook_secret)
    assert not Preference.objects.filter(telegram_chat_id=777001).exists()


def test_a_new_code_voids_the_earlier_one(client, patient, hook_secret):
    client.force_login(patient)
    client.post("/me/notifications/telegram/code/")
    first = TelegramLinkCode.objects.get(user=patient).code
    client.post("/me/notifications/telegram/code/")
    client.post(HOOK, _update(777001, first), content_type="application/json", **hook_secret)
    assert not Preference.objects.filter(telegram_chat_id=777001).exists()


def test_the_webhook_refuses_a_wrong_secret_and_ignores_what_is_not_a_message(
        client, patient, hook_secret):
    TelegramLinkCode.objects.create(user=patient, code="ABCD1234",
                                    expires_at=timezone.now() + timedelta(minutes=5))
    wrong = client.post(HOOK, _update(1, "ABCD1234"), content_type="application/json",
                        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="guess")
    assert wrong.status_code == 404
    assert client.post(HOOK, "not json", content_type="application/json",
                       **hook_secret).status_code == 204
    assert client.post(HOOK, {"update_id": 2, "edited_message": {}},
                       content_type="application/json", **hook_secret).status_code == 204
    assert not Preference.objects.exists()


def test_without_a_configured_secret_the_webhook_is_off(client, settings):
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    response = client.post(HOOK, _update(1, "X"), content_type="application/json",
                           HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="")
    assert response.status_code == 404


def test_the_patient_home_offers_the_page(client, patient):
    client.force_login(patient)
    assert b"/me/notifications/" in client.get("/").content

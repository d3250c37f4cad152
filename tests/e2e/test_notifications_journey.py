"""A patient chooses how DMED reaches them and gets a code to link Telegram; the bot's
webhook links the chat and the page shows it."""

from django.test import Client

from tests.e2e.helpers import sign_in


def test_patient_chooses_channels_and_links_telegram(page, live_server, demo_world,
                                                     screenshot, settings):
    settings.TELEGRAM_WEBHOOK_SECRET = "journey-secret"
    base = live_server.url
    sign_in(page, base, "patient")
    page.click("a[href='/me/notifications/']")
    page.wait_for_selector("[data-testid=channels]")
    page.uncheck("#id_email")
    page.click("[data-testid=save-channels]")
    page.wait_for_selector("[data-testid=channels]")
    assert not page.is_checked("#id_email") and page.is_checked("#id_sms")

    page.click("[data-testid=telegram-code]")
    code = page.inner_text("[data-testid=code]")
    screenshot("telegram-code")
    answer = Client().post("/notifications/telegram/webhook/",
                           {"message": {"chat": {"id": 424242}, "text": f"/start {code}"}},
                           content_type="application/json",
                           HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="journey-secret")
    assert answer.status_code == 200

    page.goto(f"{base}/me/notifications/")
    page.wait_for_selector("[data-testid=telegram-unlink]")
    assert "Telegram" in page.inner_text("[data-testid=reachable]")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("notifications-phone")

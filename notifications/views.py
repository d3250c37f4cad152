"""The notification settings page and the Telegram bot's webhook: thin, over services."""

import json
import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from notifications import selectors, services
from notifications.forms import ChannelsForm


@login_required
def preferences(request):
    preference = selectors.preference_of(request.user)
    if request.method == "POST":
        form = ChannelsForm(request.POST)
        if form.is_valid():
            services.choose_channels(user=request.user, **form.cleaned_data)
            messages.success(request, _("Your channels are saved."))
            return redirect("notifications:preferences")
    else:
        form = ChannelsForm(initial={"telegram": preference.telegram, "sms": preference.sms,
                                     "email": preference.email})
    return render(request, "notifications/preferences.html", {
        "form": form,
        "preference": preference,
        "reachable": [channel for channel, _address
                      in selectors.reachable_channels(request.user, preference)],
        "recent": selectors.recent_messages(request.user),
        "bot_username": settings.TELEGRAM_BOT_USERNAME,
    })


@login_required
@require_POST
def telegram_code(request):
    link = services.issue_telegram_link_code(user=request.user)
    return render(request, "notifications/telegram_code.html", {
        "link": link, "bot_username": settings.TELEGRAM_BOT_USERNAME})


@login_required
@require_POST
def telegram_unlink(request):
    services.unlink_telegram(user=request.user)
    messages.success(request, _("Telegram is unlinked."))
    return redirect("notifications:preferences")


@csrf_exempt
@require_POST
def telegram_webhook(request):
    """Updates from the Telegram Bot API. Telegram sends the secret set with setWebhook
    in X-Telegram-Bot-Api-Secret-Token; without a configured secret the hook is off."""
    expected = settings.TELEGRAM_WEBHOOK_SECRET
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not expected or not secrets.compare_digest(given.encode(), expected.encode()):
        raise Http404
    try:
        update = json.loads(request.body)
        chat_id = int(update["message"]["chat"]["id"])
        text = str(update["message"].get("text", ""))
    except (ValueError, KeyError, TypeError):
        return HttpResponse(status=204)  # not a message we act on; Telegram must not retry
    code = text.removeprefix("/start").strip()
    user = services.link_telegram_chat(code=code, chat_id=chat_id) if code else None
    # The answer rides on the webhook response, so the bot needs no call of its own.
    if user is None:
        reply = _("This code is unknown or expired. Get a new one on the DMED "
                  "notifications page.")
    else:
        with translation.override(user.language):
            reply = _("Your DMED account is linked. Notifications will come here.")
    return JsonResponse({"method": "sendMessage", "chat_id": chat_id, "text": reply})

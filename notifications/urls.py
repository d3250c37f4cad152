from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("me/notifications/", views.preferences, name="preferences"),
    path("me/notifications/telegram/code/", views.telegram_code, name="telegram-code"),
    path("me/notifications/telegram/unlink/", views.telegram_unlink, name="telegram-unlink"),
    path("notifications/telegram/webhook/", views.telegram_webhook, name="telegram-webhook"),
]

from django.contrib import admin

from dmed.readonly_admin import ReadOnlyAdmin
from notifications.models import Message, Preference


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    """The delivery log: read-only."""

    list_display = ["created_at", "kind", "recipient", "language", "status", "channel",
                    "attempts", "sent_at"]
    list_filter = ["status", "channel", "kind", "urgent"]
    list_select_related = ["recipient"]
    search_fields = ["=uuid", "recipient__username"]
    show_full_result_count = False
    # What an administrator watches is whether it went out; what it said is the person's
    # own (a result, a prescription), and no part of the trail to review.
    exclude = ["text"]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "telegram", "sms", "email", "telegram_linked_at"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    readonly_fields = ["telegram_chat_id", "telegram_linked_at"]

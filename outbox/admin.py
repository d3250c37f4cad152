"""The outbox in the admin: events, deliveries with lag and counts per consumer, and the
dead-letter list with its retry action."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dmed.readonly_admin import ReadOnlyAdmin
from outbox import selectors, services
from outbox.models import DeadLetter, Delivery, DeliveryStatus, Event


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "created_at", "relayed_at"]
    list_filter = ["kind"]
    search_fields = ["=uuid", "=dedupe_key"]
    show_full_result_count = False
    date_hierarchy = None
    # An event's payload names patients and what happened to them (a result's value, a
    # prescription); watching deliveries needs its kind and times, not that.
    exclude = ["payload"]


@admin.action(description=_("Retry the selected dead letters"))
def retry_dead_letters(modeladmin, request, queryset):
    count = services.retry_dead_letters(queryset.filter(status=DeliveryStatus.DEAD))
    modeladmin.message_user(
        request,
        ngettext("%(count)d dead letter will be retried.",
                 "%(count)d dead letters will be retried.", count) % {"count": count},
        messages.SUCCESS,
    )


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["id", "consumer", "target", "event", "status", "attempts",
                    "next_attempt_at", "last_error"]
    list_filter = ["status", "consumer"]
    list_select_related = ["event"]
    search_fields = ["=event__uuid", "=target"]
    show_full_result_count = False
    actions = [retry_dead_letters]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}),
                         "outbox_lag": selectors.outbox_lag(),
                         "consumer_counts": selectors.open_deliveries_by_consumer()}
        return super().changelist_view(request, extra_context)


@admin.register(DeadLetter)
class DeadLetterAdmin(DeliveryAdmin):
    list_filter = ["consumer"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=DeliveryStatus.DEAD)

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from dmed.readonly_admin import ReadOnlyAdmin
from pharmacy_sync import services
from pharmacy_sync.models import (
    Discrepancy,
    Reconciliation,
    StockChange,
    StockReport,
    WebhookSubscription,
)


class WebhookForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookSubscription
        fields = ["pharmacy", "url"]

    def clean_url(self):
        try:
            return services.clean_webhook_url(self.cleaned_data["url"])
        except forms.ValidationError as error:
            raise forms.ValidationError(error.message_dict["url"]) from None


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = ["pharmacy", "url", "created_at"]
    list_select_related = ["pharmacy"]
    search_fields = ["pharmacy__code", "pharmacy__name", "url"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["pharmacy"]

    def get_readonly_fields(self, request, obj=None):
        # Another pharmacy is another registration, with its own secret.
        return ["pharmacy", "created_at"] if obj else ["created_at"]

    def save_model(self, request, obj, form, change):
        # Through the service, so the pharmacy gets a fresh secret, shown here once.
        subscription = services.register_webhook(pharmacy=obj.pharmacy, url=obj.url)
        obj.pk, obj.secret = subscription.pk, subscription.secret
        self.message_user(request, _("The webhook's secret, shown once: %(secret)s") % {
            "secret": subscription.secret}, messages.WARNING)


@admin.register(StockReport)
class StockReportAdmin(admin.ModelAdmin):
    list_display = ["pharmacy", "drug", "quantity", "reported_at"]
    list_select_related = ["pharmacy", "drug"]
    search_fields = ["pharmacy__code", "drug__inn"]
    show_full_result_count = False



@admin.register(StockChange)
class StockChangeAdmin(ReadOnlyAdmin):
    list_display = ["day", "pharmacy", "drug", "decreased", "increased"]
    list_select_related = ["pharmacy", "drug"]
    search_fields = ["=pharmacy__code", "drug__inn"]
    date_hierarchy = "day"
    show_full_result_count = False


@admin.register(Discrepancy)
class DiscrepancyAdmin(ReadOnlyAdmin):
    list_display = ["day", "pharmacy", "drug", "kind", "dispensed", "reported_decrease",
                    "difference"]
    list_filter = ["kind"]
    list_select_related = ["pharmacy", "drug"]
    search_fields = ["=pharmacy__code", "pharmacy__name", "drug__inn"]
    date_hierarchy = "day"
    ordering = ["-day", "pharmacy__name"]
    show_full_result_count = False

    @admin.display(description=_("reported minus dispensed"))
    def difference(self, discrepancy):
        return discrepancy.difference


@admin.register(Reconciliation)
class ReconciliationAdmin(ReadOnlyAdmin):
    list_display = ["day", "compared", "found", "ran_at"]
    date_hierarchy = "day"
    ordering = ["-day"]

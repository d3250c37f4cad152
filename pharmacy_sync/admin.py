from django.contrib import admin

from pharmacy_sync.models import StockReport, WebhookSubscription


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["pharmacy", "url", "created_at"]
    list_select_related = ["pharmacy"]
    search_fields = ["pharmacy__code", "pharmacy__name", "url"]
    readonly_fields = ["created_at"]


@admin.register(StockReport)
class StockReportAdmin(admin.ModelAdmin):
    list_display = ["pharmacy", "drug", "quantity", "reported_at"]
    list_select_related = ["pharmacy", "drug"]
    search_fields = ["pharmacy__code", "drug__inn"]
    show_full_result_count = False

from django.urls import path

from pharmacy_sync import api

urlpatterns = [
    path("pharmacy/events/", api.FeedView.as_view(), name="api-pharmacy-events"),
    path("pharmacy/stock/", api.StockView.as_view(), name="api-pharmacy-stock"),
    path("pharmacy/webhook/", api.WebhookView.as_view(), name="api-pharmacy-webhook"),
]

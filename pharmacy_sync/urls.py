from django.urls import path

from pharmacy_sync import views

app_name = "pharmacy_sync"

urlpatterns = [
    path("me/pharmacies/<int:drug_id>/", views.in_stock, name="in-stock"),
]

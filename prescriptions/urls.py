from django.urls import path

from prescriptions import views

app_name = "prescriptions"

urlpatterns = [
    path("patients/<str:med_id>/prescriptions/", views.card_prescriptions, name="card-list"),
    path("patients/<str:med_id>/prescriptions/new/", views.write, name="write"),
    path("prescriptions/<str:code>/", views.detail, name="detail"),
    path("prescriptions/<str:code>/cancel/", views.cancel, name="cancel"),
    path("prescriptions/<str:code>/slip/", views.slip, name="slip"),
    path("me/prescriptions/", views.mine, name="mine"),
    path("pharmacy/", views.pharmacy_lookup, name="pharmacy"),
    path("pharmacy/prescriptions/<str:code>/", views.pharmacy_prescription,
         name="pharmacy-prescription"),
    path("pharmacy/prescriptions/<str:code>/dispense/", views.pharmacy_dispense,
         name="pharmacy-dispense"),
    path("pharmacy/prescriptions/<str:code>/refuse/", views.pharmacy_refuse,
         name="pharmacy-refuse"),
    path("pharmacy/receipts/<uuid:public_id>/", views.receipt, name="receipt"),
    path("pharmacy/receipts/<uuid:public_id>/print/", views.receipt, {"printable": True},
         name="receipt-print"),
]

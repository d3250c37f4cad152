from django.urls import path

from prescriptions import api

urlpatterns = [
    path("drugs/", api.DrugListView.as_view(), name="api-drugs"),
    path("prescribers/keys/", api.PrescriberKeysView.as_view(), name="api-prescriber-keys"),
    path("prescriptions/", api.PrescriptionListView.as_view(), name="api-prescriptions"),
    path("prescriptions/<str:code>/", api.PrescriptionDetailView.as_view(),
         name="api-prescription"),
    path("prescriptions/<str:code>/cancel/", api.PrescriptionCancelView.as_view(),
         name="api-prescription-cancel"),
    path("pharmacy/prescriptions/<str:code>/", api.PharmacyPrescriptionView.as_view(),
         name="api-pharmacy-prescription"),
    path("pharmacy/prescriptions/<str:code>/dispense/", api.DispenseView.as_view(),
         name="api-pharmacy-dispense"),
    path("pharmacy/prescriptions/<str:code>/refuse/", api.RefuseView.as_view(),
         name="api-pharmacy-refuse"),
]

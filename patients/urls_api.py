from django.urls import path

from patients import api

urlpatterns = [
    path("patients/", api.CardListView.as_view(), name="api-patients"),
    path("patients/<str:med_id>/", api.CardDetailView.as_view(), name="api-patient"),
    path("patients/<str:med_id>/access-log/", api.CardAccessLogView.as_view(),
         name="api-patient-access-log"),
    path("patients/<str:med_id>/break-glass/", api.BreakGlassView.as_view(),
         name="api-patient-break-glass"),
]

from django.urls import path

from patients import api

urlpatterns = [
    path("patients/", api.CardListView.as_view(), name="api-patients"),
    path("patients/temporary/", api.TemporaryCardView.as_view(), name="api-patient-temporary"),
    path("patients/<str:med_id>/", api.CardDetailView.as_view(), name="api-patient"),
    path("patients/<str:med_id>/access-log/", api.CardAccessLogView.as_view(),
         name="api-patient-access-log"),
    path("patients/<str:med_id>/break-glass/", api.BreakGlassView.as_view(),
         name="api-patient-break-glass"),
    path("patients/<str:med_id>/merge/", api.MergeView.as_view(), name="api-patient-merge"),
    path("patients/<str:med_id>/attachment/", api.AttachmentView.as_view(),
         name="api-patient-attachment"),
    path("patients/<str:med_id>/representatives/", api.RepresentativeView.as_view(),
         name="api-patient-representatives"),
    path("patients/<str:med_id>/allergies/", api.AllergyView.as_view(),
         name="api-patient-allergies"),
    path("patients/<str:med_id>/allergies/<str:allergy_id>/", api.AllergyDetailView.as_view(),
         name="api-patient-allergy"),
    path("patients/<str:med_id>/allergies/<str:allergy_id>/end/", api.AllergyEndView.as_view(),
         name="api-patient-allergy-end"),
    path("patients/<str:med_id>/chronic-conditions/", api.ChronicConditionView.as_view(),
         name="api-patient-conditions"),
    path("patients/<str:med_id>/chronic-conditions/<str:condition_id>/",
         api.ChronicConditionDetailView.as_view(), name="api-patient-condition"),
]

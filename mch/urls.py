from django.urls import path

from mch import views

app_name = "mch"

urlpatterns = [
    path("patients/<str:med_id>/pregnancy/", views.pregnancy, name="pregnancy"),
    path("patients/<str:med_id>/pregnancy/new/", views.register_pregnancy,
         name="pregnancy-new"),
    path("patients/<str:med_id>/pregnancy/contact/", views.antenatal_visit,
         name="antenatal-visit"),
    path("patients/<str:med_id>/pregnancy/outcome/", views.outcome, name="outcome"),
    path("patients/<str:med_id>/pregnancy/discharge/", views.newborn_discharge,
         name="newborn-discharge"),
    path("patients/<str:med_id>/immunisation/", views.immunisation, name="immunisation"),
    path("patients/<str:med_id>/immunisation/vaccination/", views.vaccination,
         name="vaccination"),
    path("patients/<str:med_id>/immunisation/exemption/", views.exemption, name="exemption"),
    path("patients/<str:med_id>/immunisation/growth/", views.growth, name="growth"),
    path("patients/<str:med_id>/immunisation/aefi/", views.report_adverse_event,
         name="aefi-new"),
    path("district/", views.district, name="district"),
    path("aefi/", views.aefi_list, name="aefi-list"),
    path("aefi/<uuid:public_id>/", views.aefi_report, name="aefi"),
    path("aefi/<uuid:public_id>/investigate/", views.aefi_investigate,
         name="aefi-investigate"),
]

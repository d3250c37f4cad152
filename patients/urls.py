from django.urls import path

from patients import views

app_name = "patients"

urlpatterns = [
    path("patients/", views.search, name="search"),
    path("patients/new/", views.register, name="register"),
    path("patients/new/temporary/", views.register_temporary, name="register-temporary"),
    path("patients/<str:med_id>/", views.card, name="card"),
    path("patients/<str:med_id>/break-glass/", views.break_glass, name="break-glass"),
    path("patients/<str:med_id>/print/", views.print_card, name="print"),
    path("me/card/", views.my_card, name="my-card"),
    path("me/card/access/", views.my_access_log, name="my-access-log"),
]

from django.urls import path

from clinics.timeline import views

app_name = "timeline"

urlpatterns = [
    path("patients/<str:med_id>/timeline/", views.timeline, name="card"),
]

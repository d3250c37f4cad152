from django.urls import path

from registry import acting

app_name = "registry"

urlpatterns = [
    path("acting-facility/", acting.choose_facility, name="acting-facility"),
]

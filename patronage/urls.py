from django.urls import path

from patronage import views

app_name = "patronage"

urlpatterns = [
    path("", views.route, name="route"),
    path("visits/<uuid:public_id>/", views.visit, name="visit"),
    path("visits/<uuid:public_id>/hand-over/", views.hand_over, name="hand-over"),
    # Served from here, not /static/, so its scope covers the nurse's pages.
    path("sw.js", views.service_worker, name="service-worker"),
]

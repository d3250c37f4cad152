from django.urls import path

from clinics.referrals import views

app_name = "referrals"

urlpatterns = [
    path("patients/<str:med_id>/referrals/new/", views.new_referral, name="new"),
    path("referrals/incoming/", views.incoming, name="incoming"),
    path("referrals/<uuid:referral_id>/decide/", views.decide, name="decide"),
]

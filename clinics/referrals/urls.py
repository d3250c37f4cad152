from django.urls import path

from clinics.referrals import views

app_name = "referrals"

urlpatterns = [
    path("patients/<str:med_id>/referrals/new/", views.new_referral, name="new"),
    path("patients/<str:med_id>/referrals/", views.card_referrals, name="card"),
    path("referrals/incoming/", views.incoming, name="incoming"),
    path("patients/<str:med_id>/referrals/<uuid:referral_id>/cancel/", views.cancel,
         name="cancel"),
    path("referrals/<uuid:referral_id>/decide/", views.decide, name="decide"),
]

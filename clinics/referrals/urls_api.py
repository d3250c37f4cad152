from django.urls import path

from clinics.referrals import api

urlpatterns = [
    path("referrals/", api.ReferralListView.as_view(), name="api-referrals"),
    path("referrals/specialists/", api.SpecialistListView.as_view(),
         name="api-referral-specialists"),
    path("referrals/<uuid:referral_id>/accept/", api.AcceptView.as_view(),
         name="api-referral-accept"),
    path("referrals/<uuid:referral_id>/decline/", api.DeclineView.as_view(),
         name="api-referral-decline"),
    path("referrals/<uuid:referral_id>/cancel/", api.CancelView.as_view(),
         name="api-referral-cancel"),
]

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
    path("patients/<str:med_id>/allergies/", views.add_allergy, name="allergy-add"),
    path("patients/<str:med_id>/allergies/none/", views.no_known_allergies,
         name="no-known-allergies"),
    path("patients/<str:med_id>/allergies/<uuid:allergy_id>/", views.correct_allergy,
         name="allergy-correct"),
    path("patients/<str:med_id>/allergies/<uuid:allergy_id>/end/", views.end_allergy,
         name="allergy-end"),
    path("patients/<str:med_id>/conditions/", views.add_condition, name="condition-add"),
    path("patients/<str:med_id>/conditions/<uuid:condition_id>/", views.correct_condition,
         name="condition-correct"),
    path("patients/<str:med_id>/attachment-request/", views.request_attachment,
         name="attachment-request"),
    path("attachment-requests/", views.attachment_requests, name="attachment-requests"),
    path("attachment-requests/<uuid:request_id>/", views.decide_attachment,
         name="attachment-decide"),
    path("break-glass/reviews/", views.break_glass_reviews, name="break-glass-reviews"),
    path("break-glass/reviews/<uuid:grant_id>/", views.review_break_glass,
         name="break-glass-review"),
    path("break-glass/reviews/<uuid:grant_id>/revoke/", views.revoke_break_glass,
         name="break-glass-revoke"),
    path("me/card/", views.my_card, name="my-card"),
    path("me/card/access/", views.my_access_log, name="my-access-log"),
    path("me/card/attachment/", views.my_attachment, name="my-attachment"),
]

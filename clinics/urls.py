from django.urls import path

from clinics.stays import views as stay_views
from clinics.visits import views as visit_views

app_name = "clinics"

urlpatterns = [
    path("visits/", visit_views.facility_list, name="visits"),
    path("visits/start/<str:med_id>/", visit_views.start, name="visit-start"),
    path("visits/<str:public_id>/", visit_views.detail, name="visit"),
    path("visits/<str:public_id>/edit/", visit_views.edit, name="visit-edit"),
    path("visits/<str:public_id>/close/", visit_views.close, name="visit-close"),
    path("visits/<str:public_id>/draft/", visit_views.save_draft, name="visit-draft"),
    path("visits/<str:public_id>/draft/discard/", visit_views.discard_draft,
         name="visit-draft-discard"),
    path("visits/<str:public_id>/summary/", visit_views.summary, name="visit-summary"),
    path("visits/<str:public_id>/addenda/", visit_views.add_addendum, name="visit-addendum"),
    path("patients/<str:med_id>/visits/", visit_views.card_list, name="card-visits"),
    path("wards/", stay_views.wards, name="wards"),
    path("wards/<str:department_code>/", stay_views.board, name="ward-board"),
    path("stays/admit/", stay_views.admit, name="stay-admit"),
    path("stays/<str:public_id>/", stay_views.detail, name="stay"),
    path("stays/<str:public_id>/notes/", stay_views.add_note, name="stay-note"),
    path("stays/<str:public_id>/transfer/", stay_views.transfer, name="stay-transfer"),
    path("stays/<str:public_id>/discharge/", stay_views.discharge, name="stay-discharge"),
    path("patients/<str:med_id>/stays/", stay_views.card_list, name="card-stays"),
]

from django.urls import path

from clinics.coding import api as coding_api
from clinics.stays import api as stays_api
from clinics.visits import api as visits_api

urlpatterns = [
    path("icd10/", coding_api.Icd10SearchView.as_view(), name="api-icd10"),
    path("protocols/", coding_api.ProtocolListView.as_view(), name="api-protocols"),
    path("visits/", visits_api.VisitListView.as_view(), name="api-visits"),
    path("visits/<str:public_id>/", visits_api.VisitDetailView.as_view(), name="api-visit"),
    path("visits/<str:public_id>/close/", visits_api.CloseVisitView.as_view(),
         name="api-visit-close"),
    path("visits/<str:public_id>/addenda/", visits_api.AddendumView.as_view(),
         name="api-visit-addenda"),
    path("stays/", stays_api.StayListView.as_view(), name="api-stays"),
    path("stays/<str:public_id>/", stays_api.StayDetailView.as_view(), name="api-stay"),
    path("stays/<str:public_id>/transfer/", stays_api.TransferView.as_view(),
         name="api-stay-transfer"),
    path("stays/<str:public_id>/notes/", stays_api.NoteView.as_view(), name="api-stay-notes"),
    path("stays/<str:public_id>/discharge/", stays_api.DischargeView.as_view(),
         name="api-stay-discharge"),
]

from django.urls import path

from clinics.labs import api

urlpatterns = [
    path("lab-orders/", api.LabOrderListView.as_view(), name="api-lab-orders"),
    path("lab-orders/<uuid:order_id>/", api.LabOrderDetailView.as_view(), name="api-lab-order"),
    path("lab-results/", api.LabResultListView.as_view(), name="api-lab-results"),
    path("lab-results/<uuid:result_id>/release/", api.ReleaseView.as_view(),
         name="api-lab-result-release"),
    path("lab-results/<uuid:result_id>/correction/", api.CorrectionView.as_view(),
         name="api-lab-result-correction"),
]

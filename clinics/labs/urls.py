from django.urls import path

from clinics.labs import views

app_name = "labs"

urlpatterns = [
    path("lab/worklist/", views.worklist, name="worklist"),
    path("lab/orders/<uuid:order_id>/", views.laboratory_order, name="order"),
    path("patients/<str:med_id>/lab-orders/new/", views.new_order, name="order-new"),
    path("patients/<str:med_id>/results/", views.card_results, name="card-results"),
    path("me/results/", views.my_results, name="my-results"),
    path("results/<uuid:result_id>/", views.result_detail, name="result"),
    path("results/<uuid:result_id>/pdf/", views.result_pdf_download, name="result-pdf"),
]

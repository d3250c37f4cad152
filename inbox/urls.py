from django.urls import path

from inbox import views

app_name = "inbox"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/live/", views.inbox_live, name="live"),
    path("inbox/<uuid:notice_id>/acknowledge/", views.acknowledge, name="acknowledge"),
]

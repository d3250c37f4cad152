from django.urls import path

from queues import api

urlpatterns = [
    path("queue/service-points/", api.ServicePointListView.as_view(),
         name="api-queue-service-points"),
    path("queue/service-points/<str:point_id>/call-next/", api.CallNextView.as_view(),
         name="api-queue-call-next"),
    path("queue/service-points/<str:point_id>/board/", api.BoardView.as_view(),
         name="api-queue-board"),
    path("queue/slots/", api.SlotListView.as_view(), name="api-queue-slots"),
    path("queue/tickets/", api.TicketListView.as_view(), name="api-queue-tickets"),
    path("queue/tickets/<str:ticket_id>/", api.TicketDetailView.as_view(),
         name="api-queue-ticket"),
    path("queue/tickets/<str:ticket_id>/recall/", api.RecallView.as_view(),
         name="api-queue-recall"),
    path("queue/tickets/<str:ticket_id>/no-show/", api.NoShowView.as_view(),
         name="api-queue-no-show"),
    path("queue/tickets/<str:ticket_id>/complete/", api.CompleteView.as_view(),
         name="api-queue-complete"),
    path("queue/tickets/<str:ticket_id>/transfer/", api.TransferView.as_view(),
         name="api-queue-transfer"),
    path("queue/appointments/", api.AppointmentListView.as_view(),
         name="api-queue-appointments"),
    path("queue/appointments/<str:appointment_id>/", api.AppointmentDetailView.as_view(),
         name="api-queue-appointment"),
    path("queue/appointments/<str:appointment_id>/cancel/", api.CancelView.as_view(),
         name="api-queue-cancel"),
    path("queue/appointments/<str:appointment_id>/move/", api.MoveView.as_view(),
         name="api-queue-move"),
    path("queue/appointments/<str:appointment_id>/check-in/", api.CheckInView.as_view(),
         name="api-queue-check-in"),
]

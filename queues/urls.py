from django.urls import path

from queues import views

app_name = "queue"

urlpatterns = [
    path("queue/", views.index, name="index"),
    path("queue/desk/<str:point_id>/", views.desk, name="desk"),
    path("queue/desk/<str:point_id>/line/", views.desk_line, name="desk-line"),
    path("queue/desk/<str:point_id>/call-next/", views.call_next, name="call-next"),
    path("queue/tickets/<str:ticket_id>/", views.ticket, name="ticket"),
    path("queue/tickets/<str:ticket_id>/live/", views.ticket_live, name="ticket-live"),
    # Before desk-action, whose <action> would take "print".
    path("queue/tickets/<str:ticket_id>/print/", views.ticket_print, name="ticket-print"),
    path("queue/tickets/<str:ticket_id>/<str:action>/", views.desk_action, name="desk-action"),
    path("queue/walk-in/", views.walk_in, name="walk-in"),
    path("queue/book/", views.book, name="book"),
    path("queue/board/<str:code>/", views.board, name="board"),
    path("queue/board/<str:code>/live/", views.board_live, name="board-live"),
    path("me/queue/", views.my_queue, name="my-queue"),
    path("me/queue/book/", views.my_booking, name="my-booking"),
    path("me/queue/ticket/", views.kiosk, name="kiosk"),
    path("me/queue/appointments/<str:appointment_id>/move/", views.my_move, name="my-move"),
    path("me/queue/appointments/<str:appointment_id>/<str:action>/",
         views.my_appointment_action, name="my-appointment-action"),
]

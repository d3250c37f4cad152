"""The queue pages: desk, board, booking, walk-in, the patient's own; flat query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dmed.models import AuditEvent
from dmed.roles import Role
from queues import selectors, services
from queues.models import Appointment, AppointmentStatus, Priority, Ticket, TicketStatus
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.patients.factories import CardFactory


def _fill_queue(registrar, doctor, room, polyclinic, waiting=25, called=3):
    for index in range(waiting + called):
        services.issue_ticket(actor=registrar, service_point=room,
                              med_id=CardFactory(attached_facility=polyclinic).med_id,
                              priority=[Priority.NORMAL, Priority.ELDERLY][index % 2])
    # Each desk serves one patient at a time: the called tickets are several desks'.
    for caller in [doctor, *(staff_at(polyclinic, Role.NURSE) for _ in range(called - 1))]:
        services.call_next(actor=caller, service_point=room)


def test_desk_page_lists_the_line_with_flat_queries(client, registrar, doctor, room, polyclinic,
                                                    desk_point, django_assert_max_num_queries):
    _fill_queue(registrar, doctor, room, polyclinic)
    client.force_login(doctor)
    with django_assert_max_num_queries(16):
        response = client.get(f"/queue/desk/{room.public_id}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('class="priority-') == 25 and page.count('data-testid="serving"') == 3
    assert 'hx-get="/queue/desk/' in page and "htmx-2.0.11.min.js" in page
    with django_assert_max_num_queries(14):
        assert client.get(f"/queue/desk/{room.public_id}/line/").status_code == 200
    # The refresh shows what the page showed: the page's read is the one recorded.
    assert len(desk_reads(doctor, room)) == 1


def desk_reads(user, point):
    """Each read of the desk's line: its summary and the (ticket, MED-ID) pairs it showed,
    one audit event per patient shown, the events of one read sharing their moment."""
    events = AuditEvent.objects.filter(actor=user, action="list", object_type="queue.ticket",
                                       reason__startswith=f"{point.public_id}:")
    reads = {}
    for event in events.order_by("pk"):
        summary, shown = reads.setdefault(event.occurred_at, (event.reason, []))
        shown.append(event.patient_med_id)
    return [(summary.split(": ", 1)[1], shown) for summary, shown in reads.values()]


def test_the_desk_refresh_audits_only_when_the_tickets_shown_change(
        client, registrar, doctor, room, card, polyclinic):
    services.issue_ticket(actor=registrar, service_point=room, med_id=card.med_id)
    client.force_login(doctor)
    client.get(f"/queue/desk/{room.public_id}/")
    for _ in range(5):
        assert client.get(f"/queue/desk/{room.public_id}/line/").status_code == 200
    assert desk_reads(doctor, room) == [("1 waiting, 0 called", [card.med_id])]

    newcomer = CardFactory(attached_facility=polyclinic)
    services.issue_ticket(actor=registrar, service_point=room, med_id=newcomer.med_id)
    for _ in range(3):
        client.get(f"/queue/desk/{room.public_id}/line/")
    reads = desk_reads(doctor, room)
    assert len(reads) == 2
    assert reads[1] == ("2 waiting, 0 called", [card.med_id, newcomer.med_id])

    # Calling shows nobody new (call_next audits the call itself); finishing one does change
    # what is shown.
    ticket = services.call_next(actor=doctor, service_point=room)
    client.get(f"/queue/desk/{room.public_id}/line/")
    assert len(desk_reads(doctor, room)) == 2
    services.complete(actor=doctor, ticket_id=ticket.public_id)
    client.get(f"/queue/desk/{room.public_id}/line/")
    assert desk_reads(doctor, room)[-1] == ("1 waiting, 0 called", [newcomer.med_id])

    # Another member of staff looking at the same desk is recorded in their own name.
    nurse = staff_at(polyclinic, Role.NURSE)
    client.force_login(nurse)
    client.get(f"/queue/desk/{room.public_id}/line/")
    assert len(desk_reads(nurse, room)) == 1


def test_desk_is_refused_to_staff_of_another_facility(client, room):
    client.force_login(staff_at(FacilityFactory()))
    assert client.get(f"/queue/desk/{room.public_id}/").status_code == 403
    assert client.post(f"/queue/desk/{room.public_id}/call-next/").status_code == 403


def test_desk_buttons_call_recall_and_complete(client, registrar, doctor, room, card):
    services.issue_ticket(actor=registrar, service_point=room, med_id=card.med_id)
    client.force_login(doctor)
    response = client.post(f"/queue/desk/{room.public_id}/call-next/", follow=True)
    assert card.full_name in response.content.decode()
    ticket = Ticket.objects.get()
    client.post(f"/queue/tickets/{ticket.public_id}/recall/")
    client.post(f"/queue/tickets/{ticket.public_id}/complete/")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.COMPLETED and ticket.call_count == 2
    again = client.post(f"/queue/tickets/{ticket.public_id}/complete/", follow=True)
    assert again.status_code == 200  # a message, not an error page


def test_board_has_no_login_no_names_and_the_facilitys_language(client, registrar, doctor, room,
                                                                polyclinic,
                                                                django_assert_max_num_queries):
    _fill_queue(registrar, doctor, room, polyclinic)
    polyclinic.language = "ru"
    polyclinic.save()
    with django_assert_max_num_queries(4):
        response = client.get(f"/queue/board/{polyclinic.code}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ru">' in page and "Кабинет 214" in page
    assert "Karimov" not in page and "A-004" in page
    with django_assert_max_num_queries(4):
        live = client.get(f"/queue/board/{polyclinic.code}/live/")
    assert "A-004" in live.content.decode()
    assert client.get("/queue/board/NO-SUCH/").status_code == 404


def test_registrar_issues_a_walk_in_ticket_and_sees_its_number(client, registrar, desk_point,
                                                               card):
    client.force_login(registrar)
    assert client.get("/queue/walk-in/").status_code == 200
    response = client.post("/queue/walk-in/", {"service_point": desk_point.public_id,
                                               "med_id": card.med_id,
                                               "priority": Priority.PREGNANT}, follow=True)
    assert "R-001" in response.content.decode()
    assert Ticket.objects.get().priority == Priority.PREGNANT
    bad = client.post("/queue/walk-in/", {"service_point": desk_point.public_id,
                                          "med_id": "1234567890", "priority": 9})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()


def test_registrar_books_a_slot_from_the_page(client, registrar, room, card):
    client.force_login(registrar)
    day = timezone.localdate() + timedelta(days=1)
    query = {"med_id": card.med_id, "service_point": room.public_id, "date": day.isoformat()}
    page = client.get("/queue/book/", query)
    assert page.content.decode().count('class="slot free"') == len(selectors.slots(room, day))
    starts_at = selectors.slots(room, day)[40].starts_at
    client.post("/queue/book/", {**query, "starts_at": starts_at.isoformat()})
    assert Appointment.objects.get().starts_at == starts_at
    taken = client.post("/queue/book/", {**query, "starts_at": starts_at.isoformat()})
    assert taken.status_code == 200 and "errorlist" in taken.content.decode()


def test_patient_books_moves_cancels_and_follows_their_ticket(client, room, card, patient_user,
                                                              registrar, doctor):
    client.force_login(patient_user)
    day = timezone.localdate() + timedelta(days=2)
    slots = selectors.slots(room, day)
    client.post("/me/queue/book/", {"service_point": room.public_id, "date": day.isoformat(),
                                    "starts_at": slots[40].starts_at.isoformat()})
    appointment = Appointment.objects.get()
    assert appointment.card == card
    assert str(appointment.public_id) in client.get("/me/queue/").content.decode()
    client.post(f"/me/queue/appointments/{appointment.public_id}/move/",
                {"starts_at": slots[44].starts_at.isoformat()})
    appointment.refresh_from_db()
    assert appointment.starts_at == slots[44].starts_at
    client.post(f"/me/queue/appointments/{appointment.public_id}/cancel/")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED

    ticket = services.issue_ticket(actor=registrar, service_point=room, med_id=card.med_id)
    page = client.get(f"/queue/tickets/{ticket.public_id}/").content.decode()
    assert "A-001" in page and 'data-testid="position"' in page
    services.call_next(actor=doctor, service_point=room)
    live = client.get(f"/queue/tickets/{ticket.public_id}/live/").content.decode()
    assert 'data-testid="called-notice"' in live and "214" in live


def test_a_patient_cannot_open_anothers_ticket_page(client, registrar, room, card):
    ticket = services.issue_ticket(actor=registrar, service_point=room, med_id=card.med_id)
    client.force_login(UserFactory(role=Role.PATIENT))
    assert client.get(f"/queue/tickets/{ticket.public_id}/").status_code == 404


@pytest.mark.parametrize("role,tile", [(Role.REGISTRAR, "/queue/walk-in/"),
                                       (Role.CLINICIAN, "/queue/"), (Role.PATIENT, "/me/queue/")])
def test_role_home_pages_lead_to_the_queue(client, polyclinic, role, tile):
    user = UserFactory(role=role) if role == Role.PATIENT else staff_at(polyclinic, role)
    client.force_login(user)
    assert f'href="{tile}"' in client.get("/").content.decode()


def test_the_ticket_prints_on_a_roll_with_its_number_room_and_a_qr_of_its_live_page(
        client, registrar, room, card, patient_user):
    services.issue_ticket(actor=registrar, service_point=room,
                          med_id=CardFactory(attached_facility=room.facility).med_id)
    ticket = services.issue_ticket(actor=registrar, service_point=room, med_id=card.med_id)
    client.force_login(patient_user)
    url = f"/queue/tickets/{ticket.public_id}/print/"
    page = client.get(url).content.decode()
    assert 'class="paper-roll"' in page and 'name="viewport"' in page
    assert "A-002" in page and room.room in page
    assert '<dd data-testid="position">1</dd>' in page and "<svg" in page
    assert f'href="/queue/tickets/{ticket.public_id}/print/"' in client.get(
        f"/queue/tickets/{ticket.public_id}/").content.decode()
    assert AuditEvent.objects.filter(actor=patient_user, object_id=str(ticket.public_id)).exists()
    client.force_login(UserFactory(role=Role.PATIENT))
    assert client.get(url).status_code == 404


def test_the_desk_refuses_a_second_call_while_serving_and_says_whom_to_finish(
        client, registrar, doctor, room, polyclinic, desk_point):
    for _ in range(2):
        services.issue_ticket(actor=registrar, service_point=room,
                              med_id=CardFactory(attached_facility=polyclinic).med_id)
    client.force_login(doctor)
    client.post(f"/queue/desk/{room.public_id}/call-next/")
    response = client.post(f"/queue/desk/{room.public_id}/call-next/", follow=True,
                           HTTP_ACCEPT_LANGUAGE="en")
    assert "You are serving A-001" in response.content.decode()
    assert list(Ticket.objects.order_by("number").values_list("status", flat=True)) == [
        TicketStatus.CALLED, TicketStatus.WAITING]


def test_the_ticket_as_roll_pdf_with_its_number_room_and_qr(client, registrar, room, card,
                                                            patient_user):
    from dmed.pdf import ROLL_MARGIN, ROLL_WIDTH
    from tests.pdf_layout import MM, drawn_runs, layout_problems

    services.issue_ticket(actor=registrar, service_point=room,
                          med_id=CardFactory(attached_facility=room.facility).med_id)
    ticket = services.issue_ticket(actor=registrar, service_point=room, med_id=card.med_id)
    client.force_login(patient_user)
    for language, ahead in (("uz", "sizdan oldin"), ("ru", "перед вами"),
                            ("uz-cyrl", "сиздан олдин")):
        client.cookies["dmed_language"] = language
        url = f"/queue/tickets/{ticket.public_id}/print/"
        assert 'href="?format=pdf"' in client.get(url).content.decode()
        answer = client.get(url + "?format=pdf")
        assert answer["Content-Type"] == "application/pdf"
        assert layout_problems(answer.content, margin_mm=ROLL_MARGIN) == []
        runs, (width, height) = drawn_runs(answer.content)
        assert round(width / MM) == ROLL_WIDTH and height / MM < 140
        text = " ".join(run.text for run in runs)
        assert "A-002" in text and room.room in text and ahead in text.lower(), text
    client.force_login(UserFactory(role=Role.PATIENT))
    assert client.get(f"/queue/tickets/{ticket.public_id}/print/?format=pdf").status_code == 404

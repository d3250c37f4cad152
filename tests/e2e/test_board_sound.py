"""The waiting-room board announces a call: chime and spoken "number …, room …"."""

from playwright.sync_api import expect

from dmed.models import User
from patients.models import PatientCard
from queues import services
from tests.e2e.helpers import demo_room_open_around_the_clock


def test_the_board_announces_a_new_call_once_and_not_the_old_ones(page, live_server,
                                                                   demo_world, screenshot):
    room = demo_room_open_around_the_clock()
    registrar = User.objects.get(username="registrar")
    card = PatientCard.objects.get(user__username="patient")
    page.goto(f"{live_server.url}/queue/board/TSH-CHL-P12/")
    page.click("[data-testid=sound]")  # the gesture browsers ask before playing sound
    expect(page.locator("[data-testid=sound]")).to_be_hidden()
    page.evaluate("""() => { window.calls = [];
        document.getElementById('board-live').addEventListener('board:call',
            (event) => window.calls.push(event.detail)); }""")
    ticket = services.issue_ticket(actor=registrar, service_point=room, med_id=card.med_id)
    for _earlier in range(50):  # the demo's earlier tickets are called first
        called = services.call_next(actor=room.practitioner, service_point=room)
        if called is None or called == ticket:
            break
    assert called == ticket
    for _refresh in range(30):  # polled from here: wait_for_function would need eval
        if page.evaluate("window.calls.length"):
            break
        page.wait_for_timeout(500)
    page.wait_for_timeout(3500)  # another refresh or two: nothing is announced twice
    calls = page.evaluate("window.calls")
    assert "214-xona" in calls[-1] and ticket.display_number in calls[-1]
    assert len(calls) == len(set(calls))
    screenshot("board-called")

"""The patronage nurse on her phone: today's route, a visit started at the door, the
network cut mid-form, the visit signed and sent while offline, and, when the connection
returns, recorded exactly once and shown done on the route."""

from playwright.sync_api import expect

from patronage.models import HomeVisit, PlannedVisit
from tests.e2e.helpers import sign_in


def test_a_visit_typed_offline_arrives_once_when_the_network_returns(page, live_server,
                                                                     demo_world, screenshot):
    base = live_server.url
    sign_in(page, base, "nurse")
    page.goto(f"{base}/patronage/")
    lines = page.locator("[data-testid=route-line]")
    assert lines.count() >= 3
    assert page.locator("[data-testid=overdue]").count() >= 1
    screenshot("route")
    public_id = lines.first.get_attribute("data-visit")
    lines.first.locator("a").click()
    page.wait_for_selector("[data-testid=visit-form]")
    # The service worker that sends the queue is in place before the street is reached.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.fill("#id_pulse", "88")
    page.fill("#id_temperature", "36.7")
    # A reload (a tab the phone dropped) finds the draft and the same idempotency key.
    key = page.input_value("[name=idempotency_key]")
    page.reload()
    page.wait_for_selector("[data-testid=visit-form]")
    assert page.input_value("#id_pulse") == "88"
    assert page.input_value("[name=idempotency_key]") == key

    page.context.set_offline(True)
    page.fill("#id_advice", "Turn every two hours; keep the skin dry.")
    page.check("[data-field=warning_signs] input >> nth=0")
    draft = page.evaluate(f"localStorage.getItem('patronage-draft-{public_id}')")
    assert "every two hours" in draft
    page.click("[data-testid=record]")
    # The status already shows the draft restored by the reload: wait for its next words.
    status = page.locator("[data-patronage-status]")
    expect(status).to_have_text(status.get_attribute("data-offline"))
    screenshot("offline")
    page.wait_for_timeout(500)
    assert not HomeVisit.objects.filter(planned__public_id=public_id).exists()

    page.context.set_offline(False)
    page.wait_for_url(f"{base}/patronage/")
    visits = HomeVisit.objects.filter(planned__public_id=public_id)
    assert visits.count() == 1
    assert str(visits.get().idempotency_key) == key
    assert visits.get().advice == "Turn every two hours; keep the skin dry."
    assert visits.get().warning_signs.count() == 1
    done = page.locator(f"[data-testid=route-line][data-visit='{public_id}']")
    assert done.locator("[data-testid=done]").count() == 1
    screenshot("done")

    # The queue is empty and the draft gone: nothing is left to be sent twice.
    assert page.evaluate(f"localStorage.getItem('patronage-draft-{public_id}')") is None
    page.goto(f"{base}/patronage/visits/{public_id}/")
    page.wait_for_selector("[data-testid=recorded]")
    assert page.evaluate("PatronageQueue.all().then(items => items.length)") == 0
    page.wait_for_timeout(500)
    assert HomeVisit.objects.filter(planned__public_id=public_id).count() == 1
    assert PlannedVisit.objects.get(public_id=public_id).status == "done"

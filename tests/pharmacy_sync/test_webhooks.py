"""Prescription events reach pharmacy systems: signed webhooks a receiver verifies with
the documented check (against a real local HTTP server), retries and dead letters, the
pull feed, stock reports and the patient's list of pharmacies with a medicine."""

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from dmed.roles import Role
from outbox import services as outbox_services
from outbox.events import emit
from outbox.kinds import PRESCRIPTION_DISPENSED, PRESCRIPTION_ISSUED
from outbox.models import Delivery, DeliveryStatus
from pharmacy_sync import selectors, services, signing
from pharmacy_sync.models import FeedEntry
from prescriptions.models import Drug
from registry.models import District, FacilityKind
from tests.factories import FacilityFactory, UserFactory
from tests.patients.factories import CardFactory
from tests.pharmacy_sync.conftest import CHILONZOR

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http_webhooks")]


def _issued(card, code="RX7Q2K"):
    return emit(PRESCRIPTION_ISSUED, {"med_id": card.med_id, "code": code,
                                      "drug": "Amoksitsillin 500 mg",
                                      "valid_until": "2026-12-31",
                                      "district": card.district_id})


def _webhook_delivery(event):
    outbox_services.fan_out()
    return Delivery.objects.get(event=event, consumer="pharmacy_webhooks")


def test_a_webhook_post_passes_the_receivers_check(card, pharmacy, local_server, settings):
    settings.NOTIFY_HTTP_TIMEOUT = 1.0
    subscription = services.register_webhook(pharmacy=pharmacy,
                                             url=f"{local_server.url}/dmed-hook")
    event = _issued(card)

    assert outbox_services.handle_delivery(_webhook_delivery(event).pk) == "done"
    [request] = local_server.received
    # The receiver's documented check, over the bytes it received.
    assert signing.verify(subscription.secret, request.headers[signing.TIMESTAMP_HEADER],
                          request.headers[signing.SIGNATURE_HEADER], request.body)
    body = json.loads(request.body)
    assert body["id"] == str(event.uuid) and body["kind"] == PRESCRIPTION_ISSUED
    assert body["data"] == {"code": "RX7Q2K", "drug": "Amoksitsillin 500 mg",
                            "valid_until": "2026-12-31"}  # never the patient's MED-ID
    assert request.headers["X-DMED-Event"] == str(event.uuid)


def test_a_tampered_or_stale_delivery_fails_the_check():
    body = b'{"kind": "prescription.issued", "data": {"code": "RX7Q2K"}}'
    now = int(time.time())
    signed = signing.signature("s3cret", now, body)
    assert signing.verify("s3cret", str(now), signed, body)
    assert not signing.verify("s3cret", str(now), signed, body.replace(b"RX7Q2K", b"RX0000"))
    assert not signing.verify("other", str(now), signed, body)
    assert not signing.verify("s3cret", str(now + 1), signed, body)  # timestamp is signed
    stale = now - signing.TOLERANCE_SECONDS - 1
    assert not signing.verify("s3cret", str(stale), signing.signature("s3cret", stale, body),
                              body)
    assert not signing.verify("s3cret", "yesterday", signed, body)
    assert not signing.verify("s3cret", str(now), "", body)


def test_a_failing_receiver_is_retried_then_dead_lettered_then_retried_by_hand(
        card, pharmacy, local_server, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.NOTIFY_HTTP_TIMEOUT = 0.5
    services.register_webhook(pharmacy=pharmacy, url=f"{local_server.url}/dmed-hook")
    local_server.answer((500, 0.0), (200, 2.0), (503, 0.0))  # 500, a timeout, 503
    delivery = _webhook_delivery(_issued(card))

    outcomes, waits = [], []
    for _attempt in range(3):
        before = timezone.now()
        outcomes.append(outbox_services.handle_delivery(delivery.pk))
        delivery.refresh_from_db()
        waits.append(delivery.next_attempt_at - before)
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert outcomes == ["retry", "retry", "dead"]
    assert waits[1] > waits[0]
    assert "503" in delivery.last_error

    local_server.answer((200, 0.0))
    outbox_services.retry_dead_letters([delivery])
    assert outbox_services.handle_delivery(delivery.pk) == "done"
    assert len(local_server.received) == 4


def test_only_pharmacies_of_the_patients_district_with_a_webhook_are_posted_to(
        card, pharmacy, local_server):
    elsewhere = FacilityFactory(kind=FacilityKind.PHARMACY,
                                district=District.objects.exclude(code=CHILONZOR).first())
    services.register_webhook(pharmacy=pharmacy, url=f"{local_server.url}/a")
    services.register_webhook(pharmacy=elsewhere, url=f"{local_server.url}/b")
    FacilityFactory(kind=FacilityKind.PHARMACY, district=card.district)  # pulls instead
    event = _issued(card)
    outbox_services.fan_out()
    assert list(Delivery.objects.filter(event=event, consumer="pharmacy_webhooks")
                .values_list("target", flat=True)) == [pharmacy.code]


def test_a_re_registration_changes_the_secret_and_unregistered_pharmacies_get_nothing(
        card, pharmacy, local_server):
    first = services.register_webhook(pharmacy=pharmacy, url=f"{local_server.url}/a").secret
    assert services.register_webhook(pharmacy=pharmacy,
                                      url=f"{local_server.url}/a").secret != first
    delivery = _webhook_delivery(_issued(card))
    services.unregister_webhook(pharmacy=pharmacy)
    assert outbox_services.handle_delivery(delivery.pk) == "done"
    assert local_server.received == []


def test_the_pull_feed_gives_the_districts_events_after_a_cursor(card, pharmacy):
    other_card = CardFactory(district=District.objects.exclude(code=CHILONZOR).first())
    first, second = _issued(card, "A1"), _issued(card, "A2")
    _issued(other_card, "B1")
    dispensed = emit(PRESCRIPTION_DISPENSED, {"med_id": card.med_id, "code": "A1",
                                              "drug": "X", "valid_until": "2026-12-31",
                                              "pharmacy": "Shifo-Farm", "quantity": 1,
                                              "district": card.district_id})
    outbox_services.fan_out()
    for delivery in Delivery.objects.filter(consumer="pharmacy_feed"):
        assert outbox_services.handle_delivery(delivery.pk) == "done"
    assert selectors.feed_after(pharmacy, 0) == []  # settling: a slower commit may come
    FeedEntry.objects.update(created_at=timezone.now() - timedelta(minutes=1))

    entries = selectors.feed_after(pharmacy, 0)
    assert [e.event_id for e in entries] == [first.pk, second.pk, dispensed.pk]
    assert [e.event_id for e in selectors.feed_after(pharmacy, entries[0].pk)] == [
        second.pk, dispensed.pk]
    assert selectors.event_document(entries[2].event)["data"]["quantity"] == 1
    assert Delivery.objects.filter(status=DeliveryStatus.DONE).count() >= 4


def test_stock_reports_replace_the_last_and_unknown_drugs_are_refused(pharmacy):
    drug, other = Drug.objects.filter(is_active=True)[:2]
    assert len(services.report_stock(pharmacy=pharmacy,
                                     items=[(drug.pk, 5), (other.pk, 0)])) == 2
    services.report_stock(pharmacy=pharmacy, items=[(drug.pk, 12)])
    [report] = selectors.pharmacies_with_stock(district_id=pharmacy.district_id,
                                               drug_id=drug.pk)
    assert report.quantity == 12
    assert selectors.pharmacies_with_stock(district_id=pharmacy.district_id,
                                           drug_id=other.pk) == []
    from django.core.exceptions import ValidationError
    with pytest.raises(ValidationError):
        services.report_stock(pharmacy=pharmacy, items=[(drug.pk, 1), (99_999_999, 3)])
    assert selectors.pharmacies_with_stock(
        district_id=pharmacy.district_id, drug_id=drug.pk)[0].quantity == 12  # nothing half


def test_a_patient_sees_the_pharmacies_of_their_district_with_the_medicine(
        client, card, pharmacy, district, django_assert_max_num_queries):
    drug = Drug.objects.filter(is_active=True).first()
    patient = UserFactory(role=Role.PATIENT)
    card.user = patient
    card.save(update_fields=["user"])
    for n in range(20):
        shop = FacilityFactory(kind=FacilityKind.PHARMACY, name=f"Dorixona {n}",
                               district=district)
        services.report_stock(pharmacy=shop, items=[(drug.pk, n + 1)])
    far = FacilityFactory(kind=FacilityKind.PHARMACY, name="Uzoq dorixona",
                          district=District.objects.exclude(code=CHILONZOR).first())
    services.report_stock(pharmacy=far, items=[(drug.pk, 99)])
    client.force_login(patient)

    with django_assert_max_num_queries(8):
        page = client.get(f"/me/pharmacies/{drug.pk}/?district={card.district_id}")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Dorixona 19" in body and "Uzoq dorixona" not in body
    assert body.index("Dorixona 19") < body.index("Dorixona 0<")
    assert client.get("/me/pharmacies/99999999/").status_code == 404
    assert client.get(f"/me/pharmacies/{drug.pk}/?district=x").status_code == 400
    # Without a district in the link there is nothing to show, and it says why.
    assert "Dorixona" not in client.get(f"/me/pharmacies/{drug.pk}/").content.decode()


def test_events_go_to_the_district_they_carry_and_old_ones_without_it_go_nowhere(
        card, pharmacy, district):
    """pharmacy_sync routes by the event's own district, never by reading the card: an
    event naming another district goes there; an event written before events carried it
    is delivered to nobody, without an error."""
    services.register_webhook(pharmacy=pharmacy, url="http://127.0.0.1:9/dmed-hook")
    elsewhere = District.objects.exclude(pk=district.pk).first()
    moved = emit(PRESCRIPTION_ISSUED, {"med_id": card.med_id, "code": "M1", "drug": "X",
                                       "valid_until": "2026-12-31",
                                       "district": elsewhere.pk})
    old = emit(PRESCRIPTION_ISSUED, {"med_id": card.med_id, "code": "O1", "drug": "X",
                                     "valid_until": "2026-12-31"})
    outbox_services.fan_out()
    assert list(Delivery.objects.filter(event=moved, consumer="pharmacy_feed")
                .values_list("target", flat=True)) == [str(elsewhere.pk)]
    assert not Delivery.objects.filter(event=moved, consumer="pharmacy_webhooks").exists()
    assert not Delivery.objects.filter(event=old).exists()


def test_a_receiver_running_the_check_accepts_ours_and_refuses_a_tampered_or_replayed_one(
        card, pharmacy, local_server, settings):
    settings.NOTIFY_HTTP_TIMEOUT = 1.0
    secret = services.register_webhook(pharmacy=pharmacy,
                                       url=f"{local_server.url}/dmed-hook").secret

    def receiver(request):  # what a pharmacy system runs (README, "Pharmacy sync")
        ok = signing.verify(secret, request.headers[signing.TIMESTAMP_HEADER],
                            request.headers[signing.SIGNATURE_HEADER], request.body)
        return (204, b"") if ok else (401, b'{"error": "bad signature"}')

    local_server.handler = receiver
    assert outbox_services.handle_delivery(_webhook_delivery(_issued(card)).pk) == "done"
    genuine = local_server.received[0]

    from outbox.http import ProviderError, post_json
    headers = {name: genuine.headers[name]
               for name in (signing.TIMESTAMP_HEADER, signing.SIGNATURE_HEADER)}
    with pytest.raises(ProviderError, match="401"):
        post_json(f"{local_server.url}/dmed-hook",
                  genuine.body.replace(b"RX7Q2K", b"RX0000"), headers=headers)
    stale = int(time.time()) - 600
    with pytest.raises(ProviderError, match="401"):
        post_json(f"{local_server.url}/dmed-hook", genuine.body, headers={
            signing.TIMESTAMP_HEADER: str(stale),
            signing.SIGNATURE_HEADER: signing.signature(secret, stale, genuine.body)})

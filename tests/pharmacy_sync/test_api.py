"""The pharmacy systems' sync API with a pharmacy's API key: the pull feed of prescription
events (real prescriptions services raise them), stock reports and webhook registration;
bad input answers 400 per field, no key 401."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dmed.models import AuditEvent
from dmed.roles import Role
from outbox import services as outbox_services
from outbox.models import Delivery
from pharmacy_sync import selectors
from pharmacy_sync.models import FeedEntry, StockChange, StockReport, WebhookSubscription
from prescriptions.models import Drug
from prescriptions.services import (
    cancel_prescription,
    create_pharmacy_api_key,
    dispense,
    issue_prescription,
    pharmacist_actor,
)
from registry.models import FacilityKind
from tests.factories import FacilityFactory, staff_at
from tests.patients.factories import CardFactory

pytestmark = pytest.mark.django_db
EVENTS, STOCK, WEBHOOK = "/api/v1/pharmacy/events/", "/api/v1/pharmacy/stock/", (
    "/api/v1/pharmacy/webhook/")


def _relay_feed():
    """The outbox's work: fan out, handle the feed deliveries, let the entries settle."""
    outbox_services.fan_out()
    for delivery in Delivery.objects.filter(consumer="pharmacy_feed", status="pending"):
        assert outbox_services.handle_delivery(delivery.pk) == "done"
    FeedEntry.objects.update(created_at=timezone.now() - selectors.FEED_SETTLE
                             - timedelta(seconds=1))


# --- the pull feed --------------------------------------------------------------------------


def test_the_feed_pages_the_districts_events_in_order_with_opaque_cursors(
        as_pharmacy_system, write, doctor, card, polyclinic, district, patient_check,
        other_district, django_assert_max_num_queries):
    first = write(("Amoxicillin", 20))
    second = write(("Ibuprofen", 10))
    cancel_prescription(actor=doctor, code=second.code, reason="Duplicate")
    neighbour = FacilityFactory(kind=FacilityKind.PHARMACY, district=district)
    dispense(by=pharmacist_actor(staff_at(neighbour, Role.PHARMACIST)), code=first.code,
             patient_check=patient_check, items=[{"item": 1, "quantity": 5}])
    elsewhere = CardFactory(attached_facility=polyclinic, registered_at=polyclinic,
                            district=other_district)
    issue_prescription(actor=doctor, patient=elsewhere.med_id, diagnosis="J06.9", items=[
        {"drug": Drug.objects.filter(inn="Amoxicillin").first().pk, "quantity": 10,
         "dosage": "1 capsule"}])  # other districts' events never show
    _relay_feed()

    with django_assert_max_num_queries(6):  # key, page, audit (with its savepoint)
        page = as_pharmacy_system.get(EVENTS, {"limit": 3}).json()
    assert [(e["kind"], e["data"]["code"]) for e in page["results"]] == [
        ("prescription.issued", first.code), ("prescription.issued", second.code),
        ("prescription.cancelled", second.code)]
    assert page["more"] is True and page["next"] == page["results"][-1]["cursor"]
    assert str(FeedEntry.objects.order_by("pk")[2].pk) not in page["next"]  # opaque
    # Nothing beyond what a webhook carries: never the patient.
    assert card.med_id not in str(page) and card.pinfl not in str(page)
    assert set(page["results"][0]["data"]) <= set(selectors.PUBLIC_FIELDS)

    rest = as_pharmacy_system.get(EVENTS, {"after": page["next"]}).json()
    [dispensed] = rest["results"]
    assert dispensed["kind"] == "prescription.dispensed"
    assert dispensed["data"] == {"code": first.code, "drug": dispensed["data"]["drug"],
                                 "valid_until": first.valid_until.isoformat(),
                                 "status": "partially_dispensed", "quantity": 5}
    assert rest["more"] is False
    # Caught up: the same cursor comes back until something new happens.
    idle = as_pharmacy_system.get(EVENTS, {"after": rest["next"]}).json()
    assert idle == {"results": [], "next": rest["next"], "more": False}
    assert AuditEvent.objects.filter(object_type="pharmacy_sync.feed").count() == 2


def test_a_pharmacy_does_not_read_its_own_dispensings_in_the_feed(
        api_client, write, card, pharmacy, patient_check):
    from prescriptions.services import PharmacyActor

    key, plain = create_pharmacy_api_key(pharmacy=pharmacy, name="till")
    issued = write(("Amoxicillin", 20))
    dispense(by=PharmacyActor(pharmacy=pharmacy, api_key=key), code=issued.code,
             patient_check=patient_check, items=[{"item": 1, "quantity": 5}])
    _relay_feed()
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")
    kinds = [e["kind"] for e in api_client.get(EVENTS).json()["results"]]
    assert kinds == ["prescription.issued"]


def test_entries_show_once_settled(as_pharmacy_system, write):
    write(("Amoxicillin", 20))
    outbox_services.fan_out()
    for delivery in Delivery.objects.filter(consumer="pharmacy_feed"):
        outbox_services.handle_delivery(delivery.pk)
    assert as_pharmacy_system.get(EVENTS).json()["results"] == []


@pytest.mark.parametrize("cursor", ["nonsense", "ZmVlZDp4", "!!", "a" * 101])
def test_a_bad_cursor_is_a_400_on_after(as_pharmacy_system, cursor):
    answer = as_pharmacy_system.get(EVENTS, {"after": cursor})
    assert answer.status_code == 400
    assert list(answer.json()["fields"]) == ["after"]


@pytest.mark.parametrize("limit", ["0", "501", "many"])
def test_a_bad_page_size_is_a_400_on_limit(as_pharmacy_system, limit):
    answer = as_pharmacy_system.get(EVENTS, {"limit": limit})
    assert answer.status_code == 400 and list(answer.json()["fields"]) == ["limit"]


@pytest.mark.parametrize("path", [EVENTS, STOCK, WEBHOOK])
def test_without_a_pharmacys_key_the_sync_api_answers_401(api_client, doctor, path):
    assert api_client.get(path).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION="Api-Key nonsense.key")
    assert api_client.get(path).status_code == 401
    api_client.credentials()
    api_client.force_authenticate(doctor)  # a person's session or token is not a pharmacy
    assert api_client.get(path).status_code in (401, 403)


def test_a_revoked_key_is_refused(api_client, pharmacy):
    from prescriptions.services import revoke_pharmacy_api_key

    key, plain = create_pharmacy_api_key(pharmacy=pharmacy, name="old till")
    revoke_pharmacy_api_key(key)
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")
    assert api_client.get(EVENTS).status_code == 401


# --- stock ------------------------------------------------------------------------------------


def test_a_stock_report_upserts_the_pharmacys_row_and_counts_the_move(
        as_pharmacy_system, pharmacy):
    drug = Drug.objects.filter(is_active=True).first()
    answer = as_pharmacy_system.post(STOCK, {"drug": drug.pk, "quantity": 40}, format="json")
    assert answer.status_code == 200
    assert answer.json()["drug"] == drug.pk and answer.json()["quantity"] == 40
    as_pharmacy_system.post(STOCK, {"drug": drug.pk, "quantity": 33}, format="json")
    as_pharmacy_system.post(STOCK, {"drug": drug.pk, "quantity": 50}, format="json")

    report = StockReport.objects.get(pharmacy=pharmacy, drug=drug)
    assert report.quantity == 50
    change = StockChange.objects.get(pharmacy=pharmacy, drug=drug)
    assert (change.decreased, change.increased, change.day) == (7, 17, timezone.localdate())


@pytest.mark.parametrize(("body", "fields"), [
    ({"quantity": 3}, ["drug"]),
    ({"drug": "aspirin", "quantity": 3}, ["drug"]),
    ({"drug": 99_999_999, "quantity": 3}, ["drug"]),
    ({"drug": None, "quantity": -1}, ["drug", "quantity"]),
    ({"quantity": 2_000_000, "drug": "x"}, ["drug", "quantity"]),
    ({}, ["drug", "quantity"]),
])
def test_bad_stock_reports_answer_400_per_field_and_write_nothing(as_pharmacy_system, body,
                                                                  fields):
    answer = as_pharmacy_system.post(STOCK, body, format="json")
    assert answer.status_code == 400
    assert sorted(answer.json()["fields"]) == fields
    assert not StockReport.objects.exists()


def test_an_inactive_drug_is_refused(as_pharmacy_system):
    drug = Drug.objects.filter(is_active=True).first()
    Drug.objects.filter(pk=drug.pk).update(is_active=False)
    answer = as_pharmacy_system.post(STOCK, {"drug": drug.pk, "quantity": 1}, format="json")
    assert answer.status_code == 400 and list(answer.json()["fields"]) == ["drug"]


# --- webhook registration ------------------------------------------------------------------------


def test_a_pharmacy_registers_replaces_lists_and_deletes_its_webhook(as_pharmacy_system,
                                                                    pharmacy):
    assert as_pharmacy_system.get(WEBHOOK).json() == {"results": []}
    first = as_pharmacy_system.put(WEBHOOK, {"url": "https://till.shifo-farm.uz/dmed"},
                                   format="json")
    assert first.status_code == 201
    secret = first.json()["secret"]
    assert WebhookSubscription.objects.get(pharmacy=pharmacy).secret == secret  # signs with it

    listed = as_pharmacy_system.get(WEBHOOK).json()["results"]
    assert [hook["url"] for hook in listed] == ["https://till.shifo-farm.uz/dmed"]
    assert "secret" not in listed[0]  # shown once only

    again = as_pharmacy_system.put(WEBHOOK, {"url": "https://new.shifo-farm.uz/hook"},
                                   format="json")
    assert again.status_code == 200 and again.json()["secret"] != secret
    assert WebhookSubscription.objects.get().url == "https://new.shifo-farm.uz/hook"

    assert as_pharmacy_system.delete(WEBHOOK).status_code == 204
    assert not WebhookSubscription.objects.exists()
    assert as_pharmacy_system.delete(WEBHOOK).status_code == 404


@pytest.mark.parametrize("url", [
    "http://till.shifo-farm.uz/dmed",  # not https outside debug
    "till.shifo-farm.uz/dmed", "", "https://", "ftp://till.shifo-farm.uz/",
    "https://127.0.0.1/hook", "https://localhost:8000/hook", "https://10.1.2.3/hook",
    "https://[::1]/hook", "https://169.254.169.254/latest/meta-data",
    "https://till.shifo-farm.uz/" + "a" * 500,
])
def test_a_webhook_url_must_be_public_https_outside_debug(as_pharmacy_system, url, settings):
    settings.DEBUG = False
    answer = as_pharmacy_system.put(WEBHOOK, {"url": url}, format="json")
    assert answer.status_code == 400 and list(answer.json()["fields"]) == ["url"]
    assert not WebhookSubscription.objects.exists()


def test_on_a_developers_machine_a_local_http_receiver_may_register(as_pharmacy_system,
                                                                   settings):
    settings.DEBUG = True
    answer = as_pharmacy_system.put(WEBHOOK, {"url": "http://127.0.0.1:8001/hook"},
                                    format="json")
    assert answer.status_code == 201


def test_each_key_acts_for_its_own_pharmacy_only(api_client, as_pharmacy_system, pharmacy):
    as_pharmacy_system.put(WEBHOOK, {"url": "https://till.shifo-farm.uz/dmed"}, format="json")
    other = FacilityFactory(kind=FacilityKind.PHARMACY)
    _key, plain = create_pharmacy_api_key(pharmacy=other, name="till")
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")
    assert api_client.get(WEBHOOK).json() == {"results": []}
    assert api_client.delete(WEBHOOK).status_code == 404
    assert WebhookSubscription.objects.get().pharmacy == pharmacy


def test_the_schema_documents_the_sync_api(api_client, doctor):
    api_client.force_authenticate(doctor)
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    for path in (EVENTS, STOCK, WEBHOOK):
        assert path in schema["paths"]


def test_a_pharmacist_cannot_pull_with_a_session(api_client):
    pharmacist = staff_at(FacilityFactory(kind=FacilityKind.PHARMACY), Role.PHARMACIST)
    api_client.force_login(pharmacist)
    assert api_client.get(EVENTS).status_code in (401, 403)


def test_an_administrator_registers_a_webhook_and_sees_its_secret_once(client, make_user,
                                                                       pharmacy, settings):
    settings.DEBUG = False
    client.force_login(make_user(Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    add = "/admin/pharmacy_sync/webhooksubscription/add/"
    refused = client.post(add, {"pharmacy": pharmacy.pk, "url": "http://till.uz/hook"},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200 and "https://" in refused.content.decode()
    assert not WebhookSubscription.objects.exists()

    saved = client.post(add, {"pharmacy": pharmacy.pk, "url": "https://till.uz/hook"},
                        follow=True, HTTP_ACCEPT_LANGUAGE="en")
    subscription = WebhookSubscription.objects.get()
    assert len(subscription.secret) == 64 and subscription.secret in saved.content.decode()
    page = client.get(f"/admin/pharmacy_sync/webhooksubscription/{subscription.pk}/change/")
    assert subscription.secret not in page.content.decode()

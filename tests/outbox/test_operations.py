"""What operators see: lag and counts per consumer in the admin and /readyz, dead letters
retried from the admin."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dmed.roles import Role
from outbox import selectors, services
from outbox.events import emit
from outbox.kinds import PRESCRIPTION_ISSUED
from outbox.models import Delivery, DeliveryStatus, Event


@pytest.mark.django_db
def test_lag_is_the_oldest_unrelayed_event_or_most_overdue_delivery(recording_consumer):
    assert selectors.outbox_lag() == timedelta(0)
    event = emit(PRESCRIPTION_ISSUED, {})
    Event.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert timedelta(minutes=5) <= selectors.outbox_lag() < timedelta(minutes=6)

    services.fan_out()
    Delivery.objects.update(next_attempt_at=timezone.now() + timedelta(minutes=10))
    assert selectors.outbox_lag() == timedelta(0)  # waiting for its backoff is not lag
    Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=2))
    assert timedelta(minutes=2) <= selectors.outbox_lag() < timedelta(minutes=3)


@pytest.mark.django_db
def test_readyz_fails_when_the_outbox_lags(client, settings):
    settings.OUTBOX_LAG_ALERT_SECONDS = 60
    event = emit(PRESCRIPTION_ISSUED, {})
    assert client.get("/readyz").json()["checks"]["outbox"] == "ok"

    Event.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["outbox"] == "down"


@pytest.mark.django_db
def test_counts_per_consumer_split_pending_failing_and_dead(recording_consumer,
                                                             django_assert_max_num_queries):
    for n in range(30):
        emit(PRESCRIPTION_ISSUED, {"recipients": [str(n)]})
    services.fan_out()
    Delivery.objects.filter(target__in=["0", "1"]).update(attempts=2)
    Delivery.objects.filter(target="2").update(status=DeliveryStatus.DEAD,
                                               finished_at=timezone.now())
    Delivery.objects.filter(target="3").update(status=DeliveryStatus.DONE,
                                               finished_at=timezone.now())
    with django_assert_max_num_queries(1):
        counts = selectors.open_deliveries_by_consumer()
    assert [(c.consumer, c.pending, c.failing, c.dead) for c in counts] == [
        ("test-recorder", 28, 2, 1)]


@pytest.mark.django_db
def test_the_admin_shows_dead_letters_and_retries_them(client, make_user, recording_consumer,
                                                       django_assert_max_num_queries):
    client.force_login(make_user(Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    admin_client = client
    for n in range(25):
        emit(PRESCRIPTION_ISSUED, {"recipients": [str(n)]})
    services.fan_out()
    Delivery.objects.update(status=DeliveryStatus.DEAD, finished_at=timezone.now(),
                            last_error="ConnectionError: provider answered 500")

    with django_assert_max_num_queries(12):
        page = admin_client.get("/admin/outbox/deadletter/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "outbox-health" in body and body.count("provider answered 500") == 25

    dead = list(Delivery.objects.values_list("pk", flat=True)[:3])
    response = admin_client.post("/admin/outbox/deadletter/", {
        "action": "retry_dead_letters", "_selected_action": dead})
    assert response.status_code == 302
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 3

    assert services.handle_delivery(dead[0]) == "done"
    assert admin_client.get("/admin/outbox/delivery/").status_code == 200
    assert admin_client.get("/admin/outbox/event/").status_code == 200

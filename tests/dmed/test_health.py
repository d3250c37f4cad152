import pytest


@pytest.mark.django_db
def test_healthz_answers_without_touching_services(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ok_when_database_and_broker_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "broker": "ok", "outbox": "ok"}


@pytest.mark.django_db
def test_readyz_reports_a_stopped_broker(client, settings, own_broker):
    process, url = own_broker
    settings.CELERY_BROKER_URL = url
    assert client.get("/readyz").status_code == 200

    process.terminate()
    process.wait(timeout=10)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"] == {"database": "ok", "broker": "down", "outbox": "ok"}


@pytest.mark.django_db
def test_readyz_tells_what_is_down_but_not_why(client, settings, caplog):
    settings.CELERY_BROKER_URL = "redis://broker-secret-host.internal:1/0"
    with caplog.at_level("WARNING", logger="dmed.health"):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "down"
    assert b"broker-secret-host" not in response.content and "errors" not in response.json()
    assert "broker-secret-host" in caplog.text

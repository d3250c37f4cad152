"""The portal through PgBouncer in transaction mode, as production runs it: two gunicorn
workers, concurrent searches and writes (each with its audit row and hash-chain head
lock), every request answered, every transaction carried by PgBouncer."""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from dmed.api.tokens import issue_token
from patients.models import PatientCard
from tests.conftest import free_port
from tests.factories import FacilityFactory, staff_at
from tests.patients.factories import CardFactory

ROOT = Path(__file__).resolve().parents[2]
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"

pytestmark = pytest.mark.skipif(not Path(PGBOUNCER).exists(), reason="pgbouncer not installed")


def as_postgres() -> list[str]:
    """PgBouncer refuses to run as root."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@pytest.fixture
def pgbouncer():
    database = connection.settings_dict
    home = Path(tempfile.mkdtemp(prefix="dmed-pgbouncer-"))
    port = free_port()
    role = settings.DATABASE_APP_ROLE or database["USER"]
    (home / "users.txt").write_text(f'"{role}" ""\n"pgbouncer" ""\n')
    (home / "pgbouncer.ini").write_text(f"""
[databases]
* = host={database["HOST"] or "127.0.0.1"} port={database["PORT"] or 5432}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {home}/users.txt
admin_users = pgbouncer
pool_mode = transaction
default_pool_size = 4
max_client_conn = 200
ignore_startup_parameters = extra_float_digits,options
logfile = {home}/pgbouncer.log
pidfile = {home}/pgbouncer.pid
""")
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
        for child in home.iterdir():
            shutil.chown(child, "postgres")
    process = subprocess.Popen([*as_postgres(), PGBOUNCER, str(home / "pgbouncer.ini")])  # noqa: S603
    try:
        for _attempt in range(100):
            try:
                psycopg.connect(f"postgres://pgbouncer@127.0.0.1:{port}/pgbouncer",
                                autocommit=True).close()
                break
            except psycopg.OperationalError:
                assert process.poll() is None, (home / "pgbouncer.log").read_text()
                time.sleep(0.1)
        yield port, role
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(home, ignore_errors=True)


def transactions_carried(port: int) -> int:
    with psycopg.connect(f"postgres://pgbouncer@127.0.0.1:{port}/pgbouncer",
                         autocommit=True) as admin:
        cursor = admin.execute("SHOW STATS")
        columns = [c.name for c in cursor.description]
        return sum(row[columns.index("total_xact_count")] for row in cursor.fetchall()
                   if row[columns.index("database")] != "pgbouncer")


@pytest.fixture
def server_through(pgbouncer, tmp_path, transactional_db):
    port, role = pgbouncer
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DEMO_", "PRESCRIBER_KEY_", "DATABASE_"))}
    # The test's secret key: tokens issued here are hashed with it.
    env = {**base, "DJANGO_DEBUG": "1", "DJANGO_SECRET_KEY": settings.SECRET_KEY,
           "PRESCRIBER_KEY_SECRET": secrets.token_urlsafe(32),
           "DATABASE_TRANSACTION_POOLER": "1",
           "DATABASE_URL": f"postgres://{role}@127.0.0.1:{port}/{connection.settings_dict['NAME']}"}
    web = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen(  # noqa: S603
            [str(Path(sys.executable).with_name("gunicorn")), "dmed.wsgi", "--bind",
             f"127.0.0.1:{web}", "--workers", "2", "--threads", "4"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        for _attempt in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{web}/healthz", timeout=2)  # noqa: S310
                break
            except (OSError, urllib.error.HTTPError):
                assert server.poll() is None, log.read_text()
                time.sleep(0.2)
        yield f"http://127.0.0.1:{web}", port
    finally:
        server.terminate()
        server.wait(timeout=20)


def call(url, token, method="GET", body=None):
    request = urllib.request.Request(  # noqa: S310
        url, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, json.loads(response.read())


def test_the_portal_works_through_pgbouncer_in_transaction_mode(server_through):
    url, pooler = server_through
    facility = FacilityFactory()
    tokens = [issue_token(staff_at(facility))[1] for _ in range(4)]
    CardFactory.create_batch(5, registered_at=facility, last_name="Bouncerov")
    before = transactions_carried(pooler)

    def work(token):
        answers = []
        for _round in range(6):
            answers.append(call(f"{url}/api/v1/patients/?search=Bouncerov", token)[0])
            answers.append(call(f"{url}/api/v1/patients/temporary/", token, "POST",
                                {"sex": "male"})[0])
        return answers

    with ThreadPoolExecutor(4) as pool:
        answers = [status for result in pool.map(work, tokens) for status in result]

    assert answers.count(200) == 24 and answers.count(201) == 24
    assert PatientCard.objects.filter(status="temporary").count() == 24
    # Every one went through PgBouncer: at least a transaction per write and its audit.
    assert transactions_carried(pooler) - before >= 48

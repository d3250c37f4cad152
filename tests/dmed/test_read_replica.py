"""A real streaming replica: a throw-away PostgreSQL cluster, copied with pg_basebackup
and kept in step by streaming replication, serves a portal started against both.

Proves the two rules of dmed/replica.py through HTTP: a search, which tolerates lag, reads
the replica (a card written to the primary while the replica's replay is paused is not
found); a person who has just written reads the primary (finds it), while someone else
still reads the replica.
"""

import glob
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
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
DATABASE = "dmed_replica_check"

pytestmark = pytest.mark.skipif(not BINARIES, reason="PostgreSQL server binaries not found")


def as_postgres() -> list[str]:
    """initdb and postgres refuse to run as root."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def run(*command, **kwargs):
    done = subprocess.run([*as_postgres(), *command], capture_output=True, text=True,  # noqa: S603
                          timeout=120, **kwargs)
    assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    return done.stdout


class Cluster:
    def __init__(self, bindir: str, home: Path, name: str, port: int):
        self.bindir, self.data, self.port = bindir, home / name, port
        self.log = home / f"{name}.log"

    def start(self):
        run(f"{self.bindir}/pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "start",
            "-o", f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1 "
                  "-c fsync=off -c full_page_writes=off")

    def stop(self):
        subprocess.run([*as_postgres(), f"{self.bindir}/pg_ctl", "-D", str(self.data),  # noqa: S603
                        "-m", "immediate", "stop"], capture_output=True, timeout=60)

    def url(self, database=DATABASE) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def query(self, sql: str, database=DATABASE):
        with psycopg.connect(self.url(database), autocommit=True) as connection:
            cursor = connection.execute(sql)
            return cursor.fetchone() if cursor.description else None


@pytest.fixture(scope="module")
def primary_and_replica():
    bindir = BINARIES[-1]
    home = Path(tempfile.mkdtemp(prefix="dmed-replica-"))
    shutil.chown(home, "postgres") if os.geteuid() == 0 else None
    primary = Cluster(bindir, home, "primary", free_port())
    replica = Cluster(bindir, home, "replica", free_port())
    try:
        run(f"{bindir}/initdb", "-D", str(primary.data), "-U", "postgres", "--auth=trust",
            "--no-sync")
        primary.start()
        primary.query(f"CREATE DATABASE {DATABASE}", database="postgres")
        run(f"{bindir}/pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port),
            "-U", "postgres", "-D", str(replica.data), "-R", "-X", "stream")
        replica.start()
        assert replica.query("SELECT pg_is_in_recovery()")[0] is True
        yield primary, replica
    finally:
        replica.stop()
        primary.stop()
        shutil.rmtree(home, ignore_errors=True)


def portal_env(primary, replica) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DEMO_", "PRESCRIBER_KEY_", "DATABASE_"))}
    return {**base, "DJANGO_DEBUG": "1", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "PRESCRIBER_KEY_SECRET": secrets.token_urlsafe(32),
            "DATABASE_URL": primary.url(), "DATABASE_REPLICA_URL": replica.url(),
            "REPLICA_PIN_SECONDS": "60", "CACHE_URL": settings.REDIS_URL}


SETUP = """
from dmed.api.tokens import issue_token
from tests.factories import FacilityFactory, staff_at
from tests.patients.factories import CardFactory
facility = FacilityFactory()
writer, reader = staff_at(facility), staff_at(facility)
CardFactory(registered_at=facility, last_name="Replikov", first_name="Oldin")
print(issue_token(writer)[1], issue_token(reader)[1])
"""

LATE_CARD = """
from registry.models import Facility
from tests.patients.factories import CardFactory
CardFactory(registered_at=Facility.objects.get(), last_name="Replikov", first_name="Keyin")
"""


def manage(env, *args) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,  # noqa: S603
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def call(url, token, method="GET", body=None):
    request = urllib.request.Request(  # noqa: S310
        url, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
        return response.status, json.loads(response.read())


def wait_until_replayed(primary, replica):
    target = primary.query("SELECT pg_current_wal_lsn()::text")[0]
    for _attempt in range(200):
        if replica.query(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0]:
            return
        time.sleep(0.05)
    pytest.fail("the replica did not catch up")


def test_searches_read_the_replica_and_a_person_reads_their_own_writes_from_the_primary(
        primary_and_replica, tmp_path):
    primary, replica = primary_and_replica
    env = portal_env(primary, replica)
    manage(env, "migrate", "--noinput", "-v0")
    writer, reader = manage(env, "shell", "-c", SETUP).splitlines()[-1].split()
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(  # noqa: S603
            [str(Path(sys.executable).with_name("gunicorn")), "dmed.wsgi", "--bind",
             f"127.0.0.1:{port}", "--workers", "2"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/api/v1/patients/"
    try:
        for _attempt in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)  # noqa: S310
                break
            except (OSError, urllib.error.HTTPError):
                assert server.poll() is None, log.read_text()
                time.sleep(0.2)
        wait_until_replayed(primary, replica)
        replica.query("SELECT pg_wal_replay_pause()")
        manage(env, "shell", "-c", LATE_CARD)

        def found(token):
            return sorted(card["first_name"] for card in
                          call(f"{base}?search=Replikov", token)[1]["results"])

        # The replica has not seen the late card: the search was answered there.
        assert found(writer) == ["Oldin"]
        assert found(reader) == ["Oldin"]
        status, _card = call(f"{base}temporary/", writer, "POST", {"sex": "female"})
        assert status == 201
        # Just after writing, the writer reads the primary; the reader still the replica.
        assert found(writer) == ["Keyin", "Oldin"]
        assert found(reader) == ["Oldin"]
        replica.query("SELECT pg_wal_replay_resume()")
        wait_until_replayed(primary, replica)
        assert found(reader) == ["Keyin", "Oldin"]
    finally:
        server.terminate()
        server.wait(timeout=20)

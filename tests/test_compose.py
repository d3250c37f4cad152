"""docker-compose.yml cannot run here (no Docker engine); check it by reading."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_runs_every_service_of_the_portal():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].endswith("@postgres:5432/dmed")
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert "DJANGO_SECRET_KEY" in environment
        assert set(services[name]["depends_on"]) == {"postgres", "redis"}
    assert "celery -A dmed worker" in services["worker"]["command"]
    assert "celery -A dmed beat" in services["beat"]["command"]
    assert "gunicorn dmed.wsgi" in services["web"]["command"]
    assert (ROOT / services["web"]["build"]["dockerfile"]).exists()

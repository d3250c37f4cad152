"""Settings come from the environment; production refuses to start without its secrets."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DJANGO_SECRET_KEY": "x" * 40 + "-production-like-secret-key-9f8e7d6c5b4a",
    "DJANGO_ALLOWED_HOSTS": "dmed.example.uz",
    "PRESCRIBER_KEY_SECRET": "production-like-prescriber-key-secret-3c2b1a",
    "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dmed"),
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def run_manage(*args, env):
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DEMO_", "PRESCRIBER_KEY_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_passes_with_a_production_environment():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_the_prescriber_key_secret():
    env = {k: v for k, v in PRODUCTION.items() if k != "PRESCRIBER_KEY_SECRET"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "PRESCRIBER_KEY_SECRET" in result.stderr


def test_production_settings_are_secure_by_default():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS > 0, s.ALLOWED_HOSTS, s.DATABASES['default']['ENGINE'],"
        " s.LANGUAGE_CODE, s.TIME_ZONE)"
    )
    result = run_manage("shell", "-v", "0", "-c", code, env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False", "True", "True", "True", "True", "['dmed.example.uz']",
        "django.db.backends.postgresql", "uz", "Asia/Tashkent",
    ]


def test_services_come_from_the_environment():
    env = {**PRODUCTION, "REDIS_URL": "redis://cache.internal:6380/2",
           "DATABASE_URL": "postgres://dmed:secret@db.internal:5433/dmed_prod",
           "EMAIL_URL": "smtp://mailer:pw@mail.internal:587"}
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(d['HOST'], d['PORT'], d['NAME'], s.CELERY_BROKER_URL, s.EMAIL_HOST, s.EMAIL_PORT)"
    )
    result = run_manage("shell", "-v", "0", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "db.internal", "5433", "dmed_prod", "redis://cache.internal:6380/2", "mail.internal", "587",
    ]


def test_production_refuses_a_short_prescriber_key_secret():
    for variable in ("PRESCRIBER_KEY_SECRET", "PRESCRIBER_KEY_SECRET_FALLBACKS"):
        result = run_manage("check", env={**PRODUCTION, variable: "x"})
        assert result.returncode != 0
        assert "at least 32 characters" in result.stderr

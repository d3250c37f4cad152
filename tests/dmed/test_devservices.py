"""scripts/devservices.py keeps development secrets with the database they belong to."""

import importlib.util
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]


def load_devservices():
    spec = importlib.util.spec_from_file_location("devservices", ROOT / "scripts" /
                                                  "devservices.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def scratch_database(django_db_setup):
    """A database of its own (made by the test's role, which may create databases)."""
    params = connection.settings_dict
    name = f"scratch_devsecrets_{uuid.uuid4().hex[:8]}"
    base = (f"postgresql://{params['USER']}@{params['HOST'] or '127.0.0.1'}:"
            f"{params['PORT'] or 5432}")
    with psycopg.connect(f"{base}/postgres", autocommit=True,
                         password=params["PASSWORD"] or None) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield f"{base}/{name}"
        finally:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(
                sql.Identifier(name)))


def test_a_second_clone_on_the_same_database_gets_the_same_secrets(scratch_database):
    first = load_devservices().dev_secrets(scratch_database)
    # Another checkout of the code: nothing of the first is on disk, only in the database.
    second = load_devservices().dev_secrets(scratch_database)
    assert first == second
    assert len(first["PRESCRIBER_KEY_SECRET"]) >= 32 and first["DJANGO_SECRET_KEY"]
    assert first["DEMO_PASSWORD"].startswith("demo-")


def test_secrets_of_a_checkout_from_before_are_taken_over(scratch_database, tmp_path):
    devservices = load_devservices()
    devservices.LEGACY_ENV = tmp_path / "dev.env"
    devservices.LEGACY_ENV.write_text("PRESCRIBER_KEY_SECRET=the-secret-the-keys-were-sealed-under\n")
    kept = devservices.dev_secrets(scratch_database)
    assert kept["PRESCRIBER_KEY_SECRET"] == "the-secret-the-keys-were-sealed-under"
    assert kept["DJANGO_SECRET_KEY"]

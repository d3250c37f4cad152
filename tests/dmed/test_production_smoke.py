"""The production build serves: static files built as the Dockerfile builds them (debug off,
manifest written), gunicorn with production settings and secrets, the application's database
role; pages that use static files answer 200 with the security headers."""

import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import free_port
from tests.factories import FacilityFactory

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def get(url):
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https",  # noqa: S310
                                                   "Accept-Language": "uz"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


@pytest.fixture
def production_server(tmp_path, transactional_db):
    database = connection.settings_dict
    role = settings.DATABASE_APP_ROLE or database["USER"]
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DEMO_", "PRESCRIBER_KEY_", "DATABASE_"))}
    env = {
        **base,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "PRESCRIBER_KEY_SECRET": secrets.token_urlsafe(32),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": (f"postgres://{role}:{settings.DATABASE_APP_PASSWORD}@"
                         f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/"
                         f"{database['NAME']}"),
    }
    built = subprocess.run(["sh", "scripts/collectstatic.sh"], cwd=ROOT, capture_output=True,
                           text=True, timeout=300, env={**env, "PYTHON": sys.executable})
    assert built.returncode == 0, built.stdout + built.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen(  # noqa: S603
            [str(GUNICORN), "dmed.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _attempt in range(150):
            try:
                if get(f"{url}/healthz")[0] == 200:
                    break
            except OSError:
                assert server.poll() is None, log.read_text()
                time.sleep(0.2)
        else:
            pytest.fail(f"gunicorn did not answer /healthz: {log.read_text()}")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_the_production_build_serves_its_pages_with_static_files_and_headers(
        production_server):
    polyclinic = FacilityFactory()
    for path in ("/login/", "/admin/login/", "/api/docs/", f"/queue/board/{polyclinic.code}/"):
        status, headers, body = get(production_server + path)
        assert status == 200, (path, body[:2000])
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy
        # Static files go by their hashed names from the manifest, and are served.
        hashed = re.findall(r'(?:href|src)="(/static/[^"]+\.[0-9a-f]{12}\.(?:css|js))"', body)
        assert hashed, (path, body[:2000])
        assert get(production_server + hashed[0])[0] == 200


def test_the_production_error_pages_render(production_server):
    status, _headers, body = get(production_server + "/no-such-page/")
    assert status == 404 and "/static/" in body

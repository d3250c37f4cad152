"""The FHIR interface's test world: registered system clients, their tokens, and a check
that every resource answered is valid FHIR R5 by `fhir.resources`, which nobody here wrote."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

from dmed.models import User
from dmed.roles import Role
from fhir.resources import get_fhir_model_class
from fhir.scopes import registrable_scopes
from fhir.services import register_client
from fhir.tasks import export_step
from tests.clinics.lab_helpers import lab_world
from tests.factories import StaffRecordFactory, UserFactory
from tests.patients.factories import CardFactory

ALL_SCOPES = registrable_scopes()


@dataclass
class SystemClient:
    client_id: str
    secret: str
    account: User


def make_system_client(*, role: str, facility, scopes=ALL_SCOPES, name: str = "") -> SystemClient:
    account = UserFactory(role=role, first_name=name or f"{role} system")
    if facility is not None:
        StaffRecordFactory(user=account, facility=facility, role=role)
    client_id = f"client-{account.username}"
    secret = f"secret-of-{account.username}-0123456789"
    register_client(name=name or f"{role} system {account.username}", account=account,
                    facility=facility, scopes=list(scopes), client_secret=secret,
                    client_id=client_id)
    return SystemClient(client_id, secret, account)


def request_token(client: SystemClient, scope: str | None = None):
    basic = base64.b64encode(f"{client.client_id}:{client.secret}".encode()).decode()
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    return Client().post("/o/token/", data, HTTP_AUTHORIZATION=f"Basic {basic}")


def token_for(client: SystemClient, scope: str | None = None) -> str:
    response = request_token(client, scope)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def valid_fhir(resource: dict):
    """The resource parsed by fhir.resources (R5): raises on any structural error."""
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


class Bulk:
    """A client of the bulk export endpoints (tests/fhir/test_export*.py), with a bearer
    token; every line of the files it fetches is checked as FHIR R5."""

    def __init__(self, token: str):
        self.http = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")

    def kick_off(self, path="$export", params=None, prefer="respond-async"):
        headers = {"HTTP_PREFER": prefer} if prefer else {}
        return self.http.get(f"/fhir/{path}", params or {}, **headers)

    def get(self, url):
        return self.http.get(url)

    def started(self, path="$export", params=None) -> str:
        response = self.kick_off(path, params)
        assert response.status_code == 202, response.content
        return response["Content-Location"]

    def finished(self, status_url: str) -> dict:
        job_id = status_url.rsplit("/", 1)[1]
        export_step.apply((job_id,))
        response = self.get(status_url)
        assert response.status_code == 200, response.content
        valid_manifest = response.json()
        return valid_manifest

    def resources(self, manifest: dict, resource_type: str) -> list[dict]:
        found = []
        for item in manifest["output"]:
            if item["type"] != resource_type:
                continue
            response = self.get(item["url"])
            assert response.status_code == 200
            assert response["Content-Type"] == "application/fhir+ndjson"
            lines = b"".join(response.streaming_content).decode().splitlines()
            assert len(lines) == item["count"]
            found += [json.loads(line) for line in lines]
        for resource in found:
            valid_fhir(resource)
        return found


class Fhir:
    """GET and POST under /fhir/ with a bearer token; every JSON answer is checked as FHIR
    R5."""

    def __init__(self, token: str | None, language: str = "en"):
        self.token, self.language = token, language
        self.http = Client()

    def get(self, path: str, params=None, **headers):
        return self._checked(self.http.get, path, params or {}, **headers)

    def post(self, path: str, resource: dict, **headers):
        """POST a resource (or a transaction Bundle) as application/fhir+json."""
        return self._checked(self.http.post, path, json.dumps(resource),
                             content_type="application/fhir+json", **headers)

    def _checked(self, method, path: str, *args, **headers):
        if self.token:
            headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        headers.setdefault("HTTP_ACCEPT_LANGUAGE", self.language)
        response = method(f"/fhir/{path}", *args, **headers)
        assert response["Content-Type"].startswith("application/fhir+json"), response
        valid_fhir(response.json())
        return response


@pytest.fixture
def world(db):
    return lab_world()


@pytest.fixture
def polyclinic_system(world):
    """The polyclinic's information system: acts as a clinician of the polyclinic."""
    return make_system_client(role=Role.CLINICIAN, facility=world.polyclinic)


@pytest.fixture
def fhir(polyclinic_system):
    return Fhir(token_for(polyclinic_system))


@pytest.fixture
def national(world):
    """The national platform: its own role's account, no facility."""
    return make_system_client(role=Role.NATIONAL_PLATFORM, facility=None,
                              name="National platform")


@pytest.fixture
def export_dir(settings, tmp_path):
    """Bulk exports write under the test's own folder."""
    settings.FHIR_EXPORT_DIR = str(tmp_path / "exports")
    return Path(settings.FHIR_EXPORT_DIR)


@pytest.fixture
def card(world):
    return CardFactory(attached_facility=world.polyclinic, registered_at=world.polyclinic,
                       pinfl="30211975910033", phone="+998901234567",
                       birth_date=date(1997, 11, 2))


@pytest.fixture(autouse=True)
def english():
    """Services answer in the active language (Uzbek by default); tests read English."""
    with translation.override("en"):
        yield

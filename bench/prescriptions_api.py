"""Requests per second of a pharmacy verifying and dispensing through the API, against
the floor (a JSON view doing one indexed read of a prescription by its code).

Verify is GET /api/v1/pharmacy/prescriptions/<code>/?patient_check=… with an API key:
key lookup, the patient check, the signature check (Ed25519), the answer and its audit
row. Dispense is POST …/dispense/ with an Idempotency-Key: row locks, the constraint
checked update, the dispensing rows, the outbox event and the audit row. DESIGN.md asks
verify-and-dispense at a third of the floor or better.

    DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/dmed_bench_rx \\
        .venv/bin/python bench/prescriptions_api.py --requests 1000
"""

from __future__ import annotations

import argparse
import random
import secrets
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from card_api import requests_per_second  # noqa: E402
from patients_lookup import setup_django  # noqa: E402

PRESCRIPTIONS = 200


def floor_view(request, code):
    from django.http import JsonResponse

    from prescriptions.models import Prescription

    prescription = Prescription.objects.only("code", "status", "valid_until").get(code=code)
    return JsonResponse({"code": prescription.code, "status": prescription.status,
                         "valid_until": prescription.valid_until})


def install_floor_url() -> None:
    from django.conf import settings
    from django.urls import clear_url_caches, include, path

    module = type(sys)("bench_rx_urls")
    module.urlpatterns = [path("bench/floor/<str:code>/", floor_view),
                          path("", include("dmed.urls"))]
    sys.modules["bench_rx_urls"] = module
    settings.ROOT_URLCONF = "bench_rx_urls"
    clear_url_caches()


def ensure_prescriptions() -> list[tuple[str, str]]:
    """(code, patient check) of open prescriptions with plenty left to dispense."""
    from django.conf import settings
    from django.core.management import call_command

    from dmed.models import User
    from patients.models import PatientCard
    from prescriptions.models import Drug, Prescription
    from prescriptions.services import issue_prescription

    if not User.objects.filter(username="doctor").exists():
        settings.DEMO_PASSWORD = secrets.token_urlsafe(24)  # nobody signs in here
        call_command("seed_demo", verbosity=0)
    doctor = User.objects.get(username="doctor")
    open_ones = list(Prescription.objects.filter(
        prescriber=doctor, status__in=["issued", "partially_dispensed"],
        items__quantity=10_000).select_related("patient")[:PRESCRIPTIONS])
    cards = list(PatientCard.objects.filter(family_doctor=doctor).exclude(pinfl="")[:50])
    drug = Drug.objects.get(inn="Metformin")
    rng = random.Random(5)
    while len(open_ones) < PRESCRIPTIONS:
        card = rng.choice(cards)
        first = issue_prescription(actor=doctor, patient=card.med_id, diagnosis="E11.9",
                                   acknowledge_allergies=True,
                                   items=[{"drug": drug.pk, "quantity": 10_000,
                                           "dosage": "1 tablet"}])
        first.patient = card
        open_ones.append(first)
    return [(p.code, p.patient.pinfl[-4:]) for p in open_ones]


def dispenses_per_second(client, codes, checks, count: int, headers) -> float:
    def post(code, check):
        return client.post(f"/api/v1/pharmacy/prescriptions/{code}/dispense/",
                           {"patient_check": check, "items": [{"item": 1, "quantity": 1}]},
                           content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()), **headers)

    for index in range(20):  # warm-up, not counted
        assert post(codes[index], checks[index]).status_code == 201
    started = time.perf_counter()
    for index in range(count):
        response = post(codes[index % len(codes)], checks[index % len(codes)])
        if response.status_code != 201:
            raise SystemExit(f"dispense answered {response.status_code}: {response.content}")
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    setup_django()
    install_floor_url()
    from django.conf import settings
    from django.test import Client

    from prescriptions.services import create_pharmacy_api_key
    from registry.models import Facility, FacilityKind

    settings.ALLOWED_HOSTS = ["testserver"]
    pairs = ensure_prescriptions()
    pharmacy = Facility.objects.filter(kind=FacilityKind.PHARMACY).order_by("code").first()
    _key, plain = create_pharmacy_api_key(pharmacy=pharmacy, name="bench")
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {plain}"}
    rng = random.Random(7)
    chosen = [rng.choice(pairs) for _ in range(args.requests)]
    client = Client(**headers)

    floor = requests_per_second(client, [f"/bench/floor/{code}/" for code, _ in chosen])
    verify = requests_per_second(client, [
        f"/api/v1/pharmacy/prescriptions/{code}/?patient_check={check}"
        for code, check in chosen])
    dispense = dispenses_per_second(client, [c for c, _ in chosen], [k for _, k in chosen],
                                    args.requests, headers)
    print(f"{len(pairs)} open prescriptions; {args.requests} requests each, one process, "
          "in-process client")
    print(f"floor (one indexed read as JSON)           {floor:8.0f} req/s")
    print(f"GET  pharmacy/prescriptions/<code>/        {verify:8.0f} req/s  "
          f"ratio {verify / floor:.2f} (target ≥ 0.33)")
    print(f"POST pharmacy/prescriptions/<code>/dispense/ {dispense:6.0f} req/s  "
          f"ratio {dispense / floor:.2f} (target ≥ 0.33)")


if __name__ == "__main__":
    main()

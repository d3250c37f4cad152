"""Requests per second of reading a card through the API, against the floor.

The floor is what Django and PostgreSQL themselves do: a JSON view that makes one indexed
read of a card. The card endpoint adds authentication, the scope check, the serializer
and the audit row. DESIGN.md asks for at least half the floor's requests per second.

Run after bench/patients_lookup.py has filled the benchmark database:

    DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/dmed_bench \\
        .venv/bin/python bench/card_api.py --requests 2000
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from patients_lookup import HOME_POLYCLINIC, setup_django  # noqa: E402


def floor_view(request, med_id):
    from django.http import JsonResponse

    from patients.models import PatientCard

    card = PatientCard.objects.only("med_id", "last_name", "first_name", "birth_date").get(
        med_id=med_id)
    return JsonResponse({"med_id": card.med_id, "last_name": card.last_name,
                         "first_name": card.first_name, "birth_date": card.birth_date})


def install_floor_url() -> None:
    """Serve the floor view beside the portal's own URLs, for this process only."""
    from django.conf import settings
    from django.urls import clear_url_caches, include, path

    module = type(sys)("bench_urls")
    module.urlpatterns = [path("bench/floor/<str:med_id>/", floor_view),
                          path("", include("dmed.urls"))]
    sys.modules["bench_urls"] = module
    settings.ROOT_URLCONF = "bench_urls"
    clear_url_caches()


def requests_per_second(client, urls: list[str]) -> float:
    for url in urls[:20]:  # warm-up, not counted
        assert client.get(url).status_code == 200, url
    started = time.perf_counter()
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return len(urls) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    setup_django()
    install_floor_url()
    from django.conf import settings
    from django.test import Client

    from dmed.models import User
    from patients.models import PatientCard

    settings.ALLOWED_HOSTS = ["testserver"]
    doctor = User.objects.get(username="doctor")
    med_ids = list(PatientCard.objects.filter(attached_facility__code=HOME_POLYCLINIC)
                   .values_list("med_id", flat=True)[:5000])
    if not med_ids:
        raise SystemExit("No cards at the doctor's polyclinic: run bench/patients_lookup.py")
    rng = random.Random(7)
    chosen = [rng.choice(med_ids) for _ in range(args.requests)]
    client = Client()
    client.force_login(doctor)

    floor = requests_per_second(client, [f"/bench/floor/{m}/" for m in chosen])
    card = requests_per_second(client, [f"/api/v1/patients/{m}/" for m in chosen])
    print(f"{PatientCard.objects.count():,} cards; {args.requests} requests each, "
          "one process, in-process client")
    print(f"floor (one indexed read as JSON)     {floor:8.0f} req/s")
    print(f"GET /api/v1/patients/<med_id>/       {card:8.0f} req/s")
    print(f"ratio card/floor                     {card / floor:8.2f}  (target ≥ 0.50)")


if __name__ == "__main__":
    main()

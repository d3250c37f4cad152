"""Create the demo FHIR clients and print their ids and secrets (`make run`, debug only)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from fhir.demo_clients import demo_clients, demo_patient_app


class Command(BaseCommand):
    help = "Create the demo FHIR system clients and print their credentials (debug only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            self.stdout.write("FHIR demo clients are made on a developer's machine only.")
            return
        clients = demo_clients()
        if not clients:
            self.stdout.write("No demo FHIR clients: load the demo world first (seed_demo).")
            return
        self.stdout.write("\nFHIR clients (POST /o/token/ with grant_type=client_credentials):")
        for name, client_id, secret in clients:
            self.stdout.write(f"  {name}: client_id={client_id} client_secret={secret}")
        name, client_id, redirect_uri = demo_patient_app()
        self.stdout.write("\nApp for patients (GET /o/authorize/ with response_type=code and "
                          "PKCE S256, then POST /o/token/ with grant_type=authorization_code):")
        self.stdout.write(f"  {name}: client_id={client_id} redirect_uri={redirect_uri}")

"""Print the demo pharmacies' API keys (`make run`, debug only), for trying the API."""

from django.conf import settings
from django.core.management.base import BaseCommand

from prescriptions.demo import demo_pharmacy_keys
from registry.models import Facility, FacilityKind


class Command(BaseCommand):
    help = "Print each demo pharmacy's API key (only with DJANGO_DEBUG on)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            self.stdout.write("Pharmacy API keys are shown on a developer's machine only.")
            return
        pharmacies = Facility.objects.filter(kind=FacilityKind.PHARMACY).order_by("code")
        for name, key in demo_pharmacy_keys(pharmacies):
            self.stdout.write(f"  {name}: Authorization: Api-Key {key}")

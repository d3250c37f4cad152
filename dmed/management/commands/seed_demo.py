"""Create a small believable world for trying the portal. Safe to run again.

Each app that has demo data keeps it in its own `demo.py` with a `seed(world)` function;
they run in the order of INSTALLED_APPS, so a later app finds what earlier ones made in
`world` (a dict shared between them). Then each `seed_history(world)`, where a module has
one, adds records that need every app's data (visits and results need the cards).
"""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = "Create or refresh the demo facilities, users and records (idempotent)."

    def handle(self, *args, **options):
        if not settings.DEMO_PASSWORD:
            raise CommandError("Set DEMO_PASSWORD: every demo user gets that password.")
        world: dict = {"password": settings.DEMO_PASSWORD}
        with transaction.atomic():
            modules = []
            for config in apps.get_app_configs():
                module_name = f"{config.name}.demo"
                if find_spec(module_name) is None:
                    continue
                modules.append(import_module(module_name))
                modules[-1].seed(world)
                self.stdout.write(f"seeded {config.label}")
            for module in modules:
                if hasattr(module, "seed_history"):
                    module.seed_history(world)
        users = world.get("users", {})
        self.stdout.write(self.style.SUCCESS(f"Demo users: {', '.join(sorted(users))}"))

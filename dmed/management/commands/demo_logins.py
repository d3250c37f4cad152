"""Print where to open the portal and how to sign in as each kind of demo user."""

import os

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from dmed.demo import DEMO_USERS
from dmed.models import User


class Command(BaseCommand):
    help = "Print the portal's address and the demo login of every role."

    def add_arguments(self, parser):
        port = os.environ.get("PORT", "8000")
        parser.add_argument("--base-url", default=f"http://127.0.0.1:{port}")

    def handle(self, *args, base_url, **options):
        present = set(User.objects.filter(username__in=[u[0] for u in DEMO_USERS])
                      .values_list("username", flat=True))
        self.stdout.write(f"\nDMED portal: {base_url}{reverse('home')}")
        self.stdout.write(f"Admin:       {base_url}{reverse('admin:index')}")
        self.stdout.write(f"API docs:    {base_url}{reverse('api-docs')}\n")
        for username, role, *_names in DEMO_USERS:
            if username in present:
                self.stdout.write(f"  {role.label:<16} {username}")
        # The password is shown on a developer's machine only.
        if settings.DEBUG and settings.DEMO_PASSWORD:
            self.stdout.write(f"\nPassword for every demo user: {settings.DEMO_PASSWORD}\n")
        else:
            self.stdout.write("\nPassword: the value of DEMO_PASSWORD.\n")

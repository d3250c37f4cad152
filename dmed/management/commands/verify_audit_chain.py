from datetime import date

from django.core.management.base import BaseCommand, CommandError

from dmed.audit_chain import verify_audit_chains


class Command(BaseCommand):
    help = ("Recompute the audit trail's hash chains and report the first break; "
            "exits with an error if one is broken.")

    def add_arguments(self, parser):
        parser.add_argument("--day", type=date.fromisoformat,
                            help="Only the chains of this day (YYYY-MM-DD, Tashkent).")

    def handle(self, *args, day=None, **options):
        report = verify_audit_chains(day=day)
        if report.first_break:
            raise CommandError(f"Audit chain broken: {report.first_break.describe()}")
        self.stdout.write(f"Audit chains intact: {report.events} events "
                          f"in {report.chains} chains.")

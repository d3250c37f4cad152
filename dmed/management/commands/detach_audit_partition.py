from datetime import date

from django.core.management.base import BaseCommand, CommandError

from dmed.partitions import ChainBrokenError, detach_audit_month


def _month(text: str) -> date:
    return date.fromisoformat(f"{text}-01")


class Command(BaseCommand):
    help = ("Detach one past month of the audit trail for archiving (run as the tables' "
            "owner): its chains are verified, then it becomes a table of its own beside "
            "its chain heads; pg_dump both, verify the archive, then drop them.")

    def add_arguments(self, parser):
        parser.add_argument("month", type=_month, help="The month, YYYY-MM (Tashkent).")

    def handle(self, *args, month, **options):
        try:
            name = detach_audit_month(month)
        except (ValueError, LookupError, ChainBrokenError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Detached {name} and its chain heads {name}_heads. Archive them with:\n"
            f"  pg_dump --format=custom --table={name} --table={name}_heads "
            f"--file={name}.dump \"$DATABASE_OWNER_URL\"")

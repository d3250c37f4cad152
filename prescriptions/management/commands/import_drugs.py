"""Load drugs into the registry from a CSV file (or the starter registry shipped here)."""

from django.core.management.base import BaseCommand, CommandError

from prescriptions.registry import (
    COLUMNS,
    RegistryImportError,
    import_drugs,
    import_starter_registry,
)


class Command(BaseCommand):
    help = f"Create or update drugs from a CSV file with the columns {', '.join(COLUMNS)}."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="CSV file; the starter registry if omitted")

    def handle(self, *args, path=None, **options):
        try:
            if path is None:
                report = import_starter_registry()
            else:
                with open(path, encoding="utf-8-sig", newline="") as rows:
                    report = import_drugs(rows)
        except RegistryImportError as error:
            raise CommandError("\n".join(error.errors)) from error
        except OSError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{report.created} created, {report.updated} updated")

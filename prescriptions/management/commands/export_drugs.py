"""Write the drug registry as CSV, streamed row by row."""

from django.core.management.base import BaseCommand

from prescriptions.registry import export_drugs


class Command(BaseCommand):
    help = "Export the drug registry as CSV (to a file, or to standard output)."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="file to write; standard output if omitted")

    def handle(self, *args, output=None, **options):
        if output is None:
            for chunk in export_drugs():
                self.stdout.write(chunk, ending="")
            return
        with open(output, "w", encoding="utf-8", newline="") as target:
            for chunk in export_drugs():
                target.write(chunk)

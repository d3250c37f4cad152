from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from clinics.coding.services import import_icd10_titles, load_icd10


class Command(BaseCommand):
    help = ("Load missing WHO ICD-10 codes, then set Uzbek and Russian titles from a CSV "
            "with the header code,title_uz,title_ru (UTF-8). All or nothing.")

    def add_arguments(self, parser):
        parser.add_argument("csv_path", nargs="?", help="CSV file; omit to load codes only")

    def handle(self, *args, csv_path=None, **options):
        added = load_icd10()
        self.stdout.write(f"ICD-10 codes added: {added}")
        if not csv_path:
            return
        try:
            with open(csv_path, encoding="utf-8-sig", newline="") as lines:
                changed = import_icd10_titles(lines)
        except (OSError, ValidationError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"ICD-10 codes with local titles set: {changed}")

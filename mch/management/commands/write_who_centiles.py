"""Write the WHO growth standard's chart lines, computed by rcpchgrowth, to the file the
growth charts read (mch/data/who_centiles.json). Run after upgrading rcpchgrowth; a
test fails while the file and the library disagree."""

import json

from django.core.management.base import BaseCommand

from mch.growth_charts import CENTILES_FILE, compute_centile_lines


class Command(BaseCommand):
    help = "Write the WHO growth chart lines (from rcpchgrowth) for the growth charts."

    def handle(self, *args, **options):
        CENTILES_FILE.write_text(json.dumps(compute_centile_lines(), separators=(",", ":"))
                                 + "\n")
        self.stdout.write(f"wrote {CENTILES_FILE}")

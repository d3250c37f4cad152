"""Drug search text gains the "ks" spelling of a Latin x (Флемоксин finds Flemoxin)."""

from django.db import migrations


def refold(apps, schema_editor):
    from prescriptions.models import drug_search_text

    Drug = apps.get_model("prescriptions", "Drug")
    changed = []
    for drug in Drug.objects.order_by("pk").iterator(chunk_size=1000):
        drug.search_text = drug_search_text(drug.inn, drug.trade_names)
        changed.append(drug)
        if len(changed) == 1000:
            Drug.objects.bulk_update(changed, ["search_text"])
            changed = []
    Drug.objects.bulk_update(changed, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [("prescriptions", "0003_prescriptions_signing_dispensing")]

    operations = [migrations.RunPython(refold, migrations.RunPython.noop)]

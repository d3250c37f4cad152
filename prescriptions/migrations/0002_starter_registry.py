"""About a hundred common medicines with their ATC codes, so a new installation can
prescribe at once; administrators keep the registry from here (admin or import_drugs)."""

from django.db import migrations


def load_starter_registry(apps, schema_editor):
    from prescriptions.registry import import_starter_registry

    import_starter_registry(model=apps.get_model("prescriptions", "Drug"))


class Migration(migrations.Migration):
    dependencies = [("prescriptions", "0001_drug_registry")]

    operations = [migrations.RunPython(load_starter_registry, migrations.RunPython.noop)]

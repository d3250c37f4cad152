from django.db import migrations


def load(apps, schema_editor):
    from patronage.catalogue import load_all

    load_all(rule_model=apps.get_model("patronage", "VisitRule"),
             sign_model=apps.get_model("patronage", "WarningSign"))


class Migration(migrations.Migration):
    dependencies = [("patronage", "0001_home_visits")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

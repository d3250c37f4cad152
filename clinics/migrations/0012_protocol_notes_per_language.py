"""Protocols name their lab tests by catalogue code only (the catalogue names them in each
language) and give each medicine's note in Uzbek, Russian and English: reload them."""

from django.db import migrations


def reload_protocols(apps, schema_editor):
    from clinics.coding.services import load_protocols

    load_protocols(protocol_model=apps.get_model("clinics", "ClinicalProtocol"),
                   link_model=apps.get_model("clinics", "ProtocolDiagnosis"))


class Migration(migrations.Migration):
    dependencies = [("clinics", "0011_merge_laboratory_and_visits")]

    operations = [migrations.RunPython(reload_protocols, migrations.RunPython.noop)]

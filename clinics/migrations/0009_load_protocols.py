from django.db import migrations


def load(apps, schema_editor):
    from clinics.coding.services import load_protocols

    load_protocols(protocol_model=apps.get_model("clinics", "ClinicalProtocol"),
                   link_model=apps.get_model("clinics", "ProtocolDiagnosis"))


class Migration(migrations.Migration):
    dependencies = [("clinics", "0008_clinical_protocols")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

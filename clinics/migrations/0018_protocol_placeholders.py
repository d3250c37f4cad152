from django.db import migrations


def load(apps, schema_editor):
    from clinics.coding.services import load_protocols

    load_protocols(protocol_model=apps.get_model("clinics", "ClinicalProtocol"),
                   link_model=apps.get_model("clinics", "ProtocolDiagnosis"))


class Migration(migrations.Migration):
    """The shipped protocols' templates mark what the clinician fills in as [[…]]."""

    dependencies = [("clinics", "0017_visit_drafts")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

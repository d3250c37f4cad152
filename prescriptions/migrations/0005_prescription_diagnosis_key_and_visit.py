"""A prescription's diagnosis becomes a key of the ICD-10 catalogue (step 1 of 3: the new
column, empty), and a prescription can name the visit it was written at."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("clinics", "0007_load_icd10"),
        ("prescriptions", "0004_drug_names_spelt_with_ks"),
    ]

    operations = [
        migrations.AlterField(
            model_name="prescription",
            name="diagnosis_code",
            field=models.CharField(max_length=8, null=True, verbose_name="diagnosis (ICD-10)"),
        ),
        migrations.AddField(
            model_name="prescription",
            name="diagnosis",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="clinics.icd10code",
                                    verbose_name="diagnosis (ICD-10)"),
        ),
        migrations.AddField(
            model_name="prescription",
            name="visit",
            field=models.ForeignKey(blank=True, db_index=False, null=True,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="prescriptions", to="clinics.visit",
                                    verbose_name="visit"),
        ),
        migrations.AddIndex(
            model_name="prescription",
            index=models.Index(condition=models.Q(("visit__isnull", False)), fields=["visit"],
                               name="rx_visit"),
        ),
    ]

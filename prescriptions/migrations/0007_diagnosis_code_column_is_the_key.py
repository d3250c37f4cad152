"""Step 3 of 3: the text column goes and the key takes its name, `diagnosis_code`, so
the table reads as before (the column holds the code, now checked by a foreign key)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("prescriptions", "0006_diagnosis_codes_to_icd10")]

    operations = [
        migrations.RemoveConstraint(
            model_name="prescription",
            name="prescription_diagnosis_icd10",
        ),
        migrations.RemoveField(
            model_name="prescription",
            name="diagnosis_code",
        ),
        migrations.AlterField(
            model_name="prescription",
            name="diagnosis",
            field=models.ForeignKey(db_column="diagnosis_code",
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="clinics.icd10code",
                                    verbose_name="diagnosis (ICD-10)"),
        ),
    ]

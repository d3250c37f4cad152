import uuid

import django.contrib.postgres.functions
from django.db import migrations, models


class Migration(migrations.Migration):
    """Each account gets its own random public ID: the column's default is PostgreSQL's
    gen_random_uuid(), evaluated for every existing row as the column is added."""

    dependencies = [
        ("dmed", "0006_api_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="public_id",
            field=models.UUIDField(
                db_default=django.contrib.postgres.functions.RandomUUID(),
                default=uuid.uuid4, editable=False, unique=True, verbose_name="public ID"),
        ),
    ]

import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    """Each account gets its own random public ID: added empty, filled by PostgreSQL in one
    statement (gen_random_uuid), then made required and unique."""

    dependencies = [
        ("dmed", "0006_api_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="public_id",
            field=models.UUIDField(editable=False, null=True, verbose_name="public ID"),
        ),
        migrations.RunSQL("UPDATE dmed_user SET public_id = gen_random_uuid()",
                          migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="user",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True,
                                   verbose_name="public ID"),
        ),
    ]

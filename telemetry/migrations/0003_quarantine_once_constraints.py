"""The constraints, in a transaction of their own after 0002 rewrote the rows (PostgreSQL)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("telemetry", "0002_quarantine_once"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="quarantinedevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("seq__isnull", False)), fields=("session", "seq"), name="quarantine_once_per_seq"
            ),
        ),
        migrations.AddConstraint(
            model_name="quarantinedevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("seq__isnull", True)),
                fields=("session", "digest"),
                name="quarantine_once_per_content",
            ),
        ),
    ]

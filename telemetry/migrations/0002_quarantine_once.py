"""A bad event is quarantined once per (session, seq), or once per identical content without a seq.

Rows stored before: each gets the digest of its raw text, and of each group of resends the earliest
row is kept (every resend held the same reason for the same seq)."""

import hashlib

from django.db import migrations, models


def keep_first_of_each_resend(apps, schema_editor):
    QuarantinedEvent = apps.get_model("telemetry", "QuarantinedEvent")
    seen = set()
    duplicates = []
    rows = QuarantinedEvent.objects.order_by("received_at", "pk").values_list("pk", "session_id", "seq", "raw")
    for pk, session_id, seq, raw in rows.iterator(chunk_size=2000):
        digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()
        identity = (session_id, "seq", seq) if seq is not None else (session_id, "raw", digest)
        if identity in seen:
            duplicates.append(pk)
            continue
        seen.add(identity)
        QuarantinedEvent.objects.filter(pk=pk).update(digest=digest)
    for start in range(0, len(duplicates), 500):
        QuarantinedEvent.objects.filter(pk__in=duplicates[start : start + 500]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("telemetry", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="quarantinedevent",
            name="digest",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(keep_first_of_each_resend, migrations.RunPython.noop),
    ]

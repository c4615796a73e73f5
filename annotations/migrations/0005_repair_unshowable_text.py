"""Text stored before the entrances checked it (a lone UTF-16 surrogate from JSON's "\\ud800", or a NUL)
made the work screen, the next-task API and the review page answer 500. Each such value becomes
showable: U+FFFD for the surrogate, the NUL dropped. Only rows that hold one are rewritten.
(PostgreSQL never accepted such text into a JSON column; SQLite did.)"""

from django.db import migrations

from annotations.inputs import json_repair

FIELDS = {
    "Project": ("name", "description", "labels", "comparison_dimensions"),
    "GuidelineVersion": ("text", "change_summary"),
    "Task": ("external_id", "payload", "references", "domain_tags", "gold_answer"),
    "Assignment": ("skip_reason",),
    "Annotation": ("result",),
    "AnnotationVersion": ("result",),
    "Review": ("scores", "feedback", "exemplar_note"),
    "Adjudication": ("final_result", "reasoning"),
}


def repair(apps, schema_editor):
    for model_name, fields in FIELDS.items():
        model = apps.get_model("annotations", model_name)
        for row in model.objects.only("pk", *fields).iterator(chunk_size=2000):
            repaired = {name: json_repair(getattr(row, name)) for name in fields}
            broken = [name for name, value in repaired.items() if value != getattr(row, name)]
            for name in broken:
                setattr(row, name, repaired[name])
            if broken:
                row.save(update_fields=broken)


class Migration(migrations.Migration):
    dependencies = [("annotations", "0004_project_members_are_memberships")]

    operations = [migrations.RunPython(repair, migrations.RunPython.noop)]

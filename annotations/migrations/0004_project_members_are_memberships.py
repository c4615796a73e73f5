from django.db import migrations

# The global role groups of before roles were per project (0002 turned them into memberships).
# The project_admin group carried every auth.* and authtoken.* permission, so keeping it would
# leave a path to superuser; the groups grant nothing any more, so they go.
ROLE_GROUPS = ("annotator", "reviewer", "project_admin")


def role_groups_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0003_export_filters"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RemoveField(model_name="project", name="members"),
        migrations.RunPython(role_groups_delete, migrations.RunPython.noop),
    ]

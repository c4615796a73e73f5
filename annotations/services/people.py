"""Roles as Django groups with their permissions."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from annotations import roles

# What each role may do in the Django admin / model permissions.
_ADMIN_APPS = ("annotations", "telemetry", "quality", "auth", "authtoken")
_REVIEWER_CODENAMES = (
    "view_annotation",
    "view_task",
    "view_project",
    "add_review",
    "change_review",
    "view_review",
    "add_adjudication",
    "view_adjudication",
)


@transaction.atomic
def roles_ensure() -> dict[str, Group]:
    """Create the three role groups with their permissions (idempotent)."""
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in roles.ALL_ROLES}
    groups[roles.PROJECT_ADMIN].permissions.set(Permission.objects.filter(content_type__app_label__in=_ADMIN_APPS))
    groups[roles.REVIEWER].permissions.set(
        Permission.objects.filter(content_type__app_label="annotations", codename__in=_REVIEWER_CODENAMES)
    )
    groups[roles.ANNOTATOR].permissions.clear()
    return groups

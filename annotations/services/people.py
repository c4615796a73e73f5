"""Who works in a project: memberships per role. Users themselves (privileges, passwords, tokens)
are managed by superusers only, in the Django admin; nothing here touches them."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from annotations import access
from annotations.models import Membership, Project


def users_by_username(*, usernames, field: str) -> list:
    """The active users with these usernames; ValidationError naming every unknown one."""
    if not isinstance(usernames, list | tuple) or not all(isinstance(u, str) for u in usernames):
        raise ValidationError({field: "Give a list of usernames."})
    wanted = list(dict.fromkeys(u.strip() for u in usernames if u.strip()))
    found = {u.get_username(): u for u in get_user_model().objects.filter(username__in=wanted, is_active=True)}
    unknown = [u for u in wanted if u not in found]
    if unknown:
        shown = ", ".join(repr(u[:50]) for u in unknown[:10])
        raise ValidationError({field: f"No active user named {shown}."})
    return [found[u] for u in wanted]


@transaction.atomic
def memberships_set(*, project: Project, role: str, users) -> None:
    """Make exactly these users hold this role in the project (others lose it; other roles stay)."""
    keep = {u.pk for u in users}
    Membership.objects.filter(project=project, role=role).exclude(user_id__in=keep).delete()
    have = set(Membership.objects.filter(project=project, role=role).values_list("user_id", flat=True))
    Membership.objects.bulk_create(
        [Membership(project=project, user_id=uid, role=role) for uid in keep - have], ignore_conflicts=True
    )
    for user in users:
        access.forget(user)


def membership_add(*, project: Project, user, role: str) -> Membership:
    membership, _ = Membership.objects.get_or_create(project=project, user=user, role=role)
    access.forget(user)
    return membership


def project_people(*, project: Project) -> dict[str, list[str]]:
    """{"members": annotators, "reviewers": ..., "admins": ...} as sorted usernames."""
    out: dict[str, list[str]] = {"members": [], "reviewers": [], "admins": []}
    key = {access.ANNOTATOR: "members", access.REVIEWER: "reviewers", access.ADMIN: "admins"}
    rows = Membership.objects.filter(project=project).values_list("role", "user__username").order_by("user__username")
    for role, username in rows:
        out[key[role]].append(username)
    return out

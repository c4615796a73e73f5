"""Roles are Django groups; these are the only places that name them."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

ANNOTATOR = "annotator"
REVIEWER = "reviewer"
PROJECT_ADMIN = "project_admin"
ALL_ROLES = (ANNOTATOR, REVIEWER, PROJECT_ADMIN)


def role_names(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached.add(PROJECT_ADMIN)
        user._role_names = cached
    return cached


def is_project_admin(user) -> bool:
    return PROJECT_ADMIN in role_names(user)


def is_reviewer(user) -> bool:
    """Reviewers and project admins may review."""
    return bool(role_names(user) & {REVIEWER, PROJECT_ADMIN})


def is_annotator(user) -> bool:
    return ANNOTATOR in role_names(user)

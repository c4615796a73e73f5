"""Who may see or change what: the one access rule, asked by every screen, API route and socket.

Roles are per project (Membership). Superusers stand above every project: they administer and
review everywhere, but annotate only where they hold an annotator membership (routing needs one).
Project admins may review in their projects too. Nothing here grants rights over users, tokens or
passwords: only superusers manage those (the Django admin's own permissions).
"""

from django.db.models import QuerySet
from django.http import Http404

from annotations.models import Membership, Project

ADMIN = Membership.Role.ADMIN
REVIEWER = Membership.Role.REVIEWER
ANNOTATOR = Membership.Role.ANNOTATOR

# What each action needs, by name: callers say what they want to do, not which roles allow it.
ANNOTATE = (ANNOTATOR,)
REVIEW = (REVIEWER, ADMIN)
MANAGE = (ADMIN,)
ANY = (ANNOTATOR, REVIEWER, ADMIN)  # seeing that a project exists


def _pairs(user) -> frozenset[tuple[int, str]]:
    """The user's (project id, role) pairs, read once per request (cached on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_membership_pairs", None)
    if cached is None:
        cached = frozenset(Membership.objects.filter(user=user).values_list("project_id", "role"))
        user._membership_pairs = cached
    return cached


def forget(user) -> None:
    """Drop the cached memberships (after they changed within the same request)."""
    user.__dict__.pop("_membership_pairs", None)


def _above(user, roles) -> bool:
    return bool(getattr(user, "is_superuser", False) and getattr(user, "is_active", False)) and ANNOTATOR not in roles


def may(user, project: Project | int, roles) -> bool:
    """Whether the user holds one of these roles in the project."""
    if _above(user, roles):
        return True
    project_id = project if isinstance(project, int) else project.pk
    return any((project_id, role) in _pairs(user) for role in roles)


def holds_anywhere(user, roles) -> bool:
    """Whether the user holds one of these roles in some project (which screens to offer)."""
    if _above(user, roles):
        return True
    return any(role in roles for _, role in _pairs(user))


def project_ids(user, roles) -> set[int] | None:
    """Ids of the projects where the user holds one of these roles; None means every project."""
    if _above(user, roles):
        return None
    return {project_id for project_id, role in _pairs(user) if role in roles}


def projects(user, roles, *, active_only: bool = True) -> QuerySet[Project]:
    """The projects where the user holds one of these roles."""
    qs = Project.objects.filter(is_active=True) if active_only else Project.objects.all()
    ids = project_ids(user, roles)
    return qs if ids is None else qs.filter(pk__in=ids)


def project_or_404(user, project_id: int, roles, *, active_only: bool = True) -> Project:
    """The project if the user holds one of these roles in it; 404 otherwise (never say it exists)."""
    project = projects(user, roles, active_only=active_only).filter(pk=project_id).first()
    if project is None:
        raise Http404("No such project for you.")
    return project

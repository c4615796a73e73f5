"""Role names, and which screens to offer a user. The rules themselves are annotations/access.py."""

from annotations import access

ANNOTATOR = access.ANNOTATOR
REVIEWER = access.REVIEWER
PROJECT_ADMIN = access.ADMIN
ALL_ROLES = (ANNOTATOR, REVIEWER, PROJECT_ADMIN)


def is_project_admin(user) -> bool:
    """Admin of some project (or superuser): offered the admin screens."""
    return access.holds_anywhere(user, access.MANAGE)


def is_reviewer(user) -> bool:
    """Reviewer or admin of some project: offered the review console."""
    return access.holds_anywhere(user, access.REVIEW)


def is_annotator(user) -> bool:
    """Annotator of some project: offered the work screens."""
    return access.holds_anywhere(user, access.ANNOTATE)

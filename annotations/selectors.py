"""Reads for the annotator's side; every function scopes to what the caller may see."""

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from annotations import access
from annotations.models import Annotation, Assignment, Review


def projects_for_annotator(*, user):
    """Active projects where the user annotates, with how many tasks still have open slots."""
    return (
        access.projects(user, access.ANNOTATE)
        .annotate(open_tasks=Count("tasks", filter=Q(tasks__is_full=False)))
        .order_by("name")
    )


def annotations_done_today(*, user) -> int:
    start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    return Annotation.objects.filter(annotator=user, state=Annotation.State.SUBMITTED, submitted_at__gte=start).count()


def latest_feedback(*, user, limit: int = 5):
    """Reviews of the user's own work, newest first."""
    return (
        Review.objects.filter(annotation__annotator=user)
        .select_related("annotation__task__project")
        .order_by("-created_at")[:limit]
    )


def assignment_for_annotator(*, user, assignment_id: int) -> Assignment:
    """404 unless the assignment is the caller's own."""
    assignment = Assignment.objects.select_related("task__project").filter(pk=assignment_id, annotator=user).first()
    if assignment is None:
        raise Http404("No such assignment for you.")
    return assignment


def active_assignments(*, user, now: dt.datetime | None = None):
    now = now or timezone.now()
    return Assignment.objects.filter(annotator=user, state=Assignment.State.ACTIVE, expires_at__gte=now)

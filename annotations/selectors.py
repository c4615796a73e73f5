"""Reads for the annotator's side; every function scopes to what the caller may see."""

from django.db.models import Count, Q
from django.utils import timezone

from annotations import access
from annotations.models import Annotation, Review


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

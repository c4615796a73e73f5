"""Reads for the annotator's work screens; each scopes to what the caller may see."""

from django.db.models import Count
from django.http import Http404
from django.utils import timezone

from annotations import access
from annotations.models import Annotation, Assignment, GuidelineVersion, Project, Review, Task


def project_for_work(*, user, project_id: int) -> Project:
    """The project if the caller annotates in it; 404 otherwise."""
    return access.project_or_404(user, project_id, access.ANNOTATE)


def assignment_for_work(*, user, task_id: int) -> Assignment:
    """The caller's assignment of a task in a project where they (still) annotate; 404 otherwise.
    The API's submit and draft routes ask this, as the screen asks project_for_work: someone removed
    from a project keeps no way to write into it."""
    assignment = Assignment.objects.select_related("task__project").filter(task_id=task_id, annotator=user).first()
    if assignment is None or not access.may(user, assignment.task.project, access.ANNOTATE):
        raise Http404("You have no assignment for this task.")
    if not assignment.task.project.is_active:
        raise Http404("This project is closed.")
    return assignment


def annotation_for_work(*, user, project: Project, annotation_id: int) -> Annotation:
    """The caller's own annotation in this project; anyone else's is a 404."""
    annotation = (
        Annotation.objects.select_related("task__project", "assignment", "guideline_version")
        .filter(pk=annotation_id, annotator=user, task__project=project)
        .first()
    )
    if annotation is None:
        raise Http404("No such annotation for you.")
    return annotation


def guideline_changes_since_last_work(*, user, project: Project, current: GuidelineVersion | None) -> dict:
    """The versions published after the one the caller's latest submitted annotation here was made under.

    {"last": GuidelineVersion | None, "versions": [newer versions, oldest first]}; no versions when the
    caller has not submitted here yet or already worked under the current one.
    """
    latest = (
        Annotation.objects.filter(
            annotator=user, task__project=project, state=Annotation.State.SUBMITTED, guideline_version__isnull=False
        )
        .select_related("guideline_version")
        .order_by("-submitted_at", "-id")
        .first()
    )
    last = latest.guideline_version if latest else None
    if last is None or current is None or last.number >= current.number:
        return {"last": last, "versions": []}
    versions = list(
        GuidelineVersion.objects.filter(project=project, number__gt=last.number, number__lte=current.number).order_by(
            "number"
        )
    )
    return {"last": last, "versions": versions}


def work_waiting_by_project(*, user, project_ids: list[int]) -> dict[int, dict]:
    """Per project: tasks the caller could still be routed to, and whether a claimed task is in progress."""
    waiting = dict(
        Task.objects.filter(project_id__in=project_ids, is_full=False)
        .exclude(assignments__annotator=user)
        .values("project_id")
        .annotate(n=Count("id"))
        .values_list("project_id", "n")
    )
    in_progress = set(
        Assignment.objects.filter(
            annotator=user,
            state=Assignment.State.ACTIVE,
            expires_at__gte=timezone.now(),
            task__project_id__in=project_ids,
        ).values_list("task__project_id", flat=True)
    )
    return {pid: {"waiting": waiting.get(pid, 0), "in_progress": pid in in_progress} for pid in project_ids}


def returned_reviews(*, annotation: Annotation) -> list[Review]:
    """For work sent back: the reviews of the version that was returned (the annotator's own work)."""
    if annotation.state != Annotation.State.RETURNED:
        return []
    return list(annotation.reviews.filter(annotation_version=annotation.version).order_by("created_at"))


def returned_waiting(*, user, project: Project, exclude: Annotation | None = None) -> list[Annotation]:
    """The caller's annotations in this project sent back for revision, oldest first."""
    qs = Annotation.objects.filter(annotator=user, task__project=project, state=Annotation.State.RETURNED)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return list(qs.order_by("submitted_at", "id")[:20])

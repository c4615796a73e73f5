"""An annotator's work on one assignment: start, save a draft, submit, skip."""

import math
import random

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from annotations import hooks
from annotations.inputs import text_problem
from annotations.models import Annotation, AnnotationVersion, Assignment, Project
from annotations.services.routing import assignment_release
from annotations.validation import result_storable_errors, result_validate


def annotation_start(*, assignment: Assignment) -> Annotation:
    """The annotation for this assignment, created as a draft under the current guideline."""
    annotation = Annotation.objects.filter(task_id=assignment.task_id, annotator_id=assignment.annotator_id).first()
    if annotation is not None:
        return annotation
    project = assignment.task.project
    left = random.choice("ab") if project.kind == Project.Kind.COMPARE else ""
    annotation, _ = Annotation.objects.get_or_create(
        task_id=assignment.task_id,
        annotator_id=assignment.annotator_id,
        defaults={
            "assignment": assignment,
            "guideline_version": project.current_guideline(),
            "left_response": left,
        },
    )
    return annotation


# Active time comes from the page's own clock, not from a person: out-of-range values are bounded
# here (the one place), never refused, so a submit is never lost to a bad timer.
MAX_ACTIVE_SECONDS = 7 * 24 * 3600


def _active_seconds(value) -> float:
    value = float(value)
    return min(max(value, 0.0), MAX_ACTIVE_SECONDS) if math.isfinite(value) else 0.0


def annotation_save_draft(*, annotation: Annotation, result: dict, active_seconds: float | None = None) -> Annotation:
    """Keep whatever was typed, valid or not: a draft is never refused for its content."""
    if annotation.state == Annotation.State.SUBMITTED:
        raise ValidationError({"result": "This annotation is already submitted."})
    if not isinstance(result, dict):
        raise ValidationError({"result": "The result must be a JSON object."})
    unstorable = result_storable_errors(result)  # a draft may be incomplete, never unstorable
    if unstorable:
        raise ValidationError(unstorable)
    changes = {"result": result, "draft_saved_at": timezone.now()}
    if active_seconds is not None:
        changes["active_seconds"] = max(annotation.active_seconds, _active_seconds(active_seconds))
    # Written only while the work is not handed in: a draft that loaded the annotation before a
    # submit committed (an autosave in flight) must not overwrite the submitted result.
    if not Annotation.objects.filter(pk=annotation.pk).exclude(state=Annotation.State.SUBMITTED).update(**changes):
        raise ValidationError({"result": "This annotation is already submitted."})
    for name, value in changes.items():
        setattr(annotation, name, value)
    return annotation


def annotation_submit(
    *,
    annotation: Annotation,
    result: dict,
    final_seq: int | None = None,
    active_seconds: float | None = None,
) -> Annotation:
    """Validate against the project kind, freeze the guideline version, keep a version row, and
    hand the editor session's last seq to telemetry so signals wait for every event."""
    project = annotation.task.project
    if annotation.state == Annotation.State.SUBMITTED:
        raise ValidationError({"result": "This annotation is already submitted."})
    now = timezone.now()
    if annotation.state == Annotation.State.DRAFT:
        _claim_check(annotation=annotation, now=now)
    clean = result_validate(project=project, result=result)
    with transaction.atomic():
        if annotation.state == Annotation.State.RETURNED:
            annotation.version += 1
        annotation.result = clean
        annotation.state = Annotation.State.SUBMITTED
        annotation.submitted_at = now
        annotation.guideline_version = project.current_guideline()
        if active_seconds is not None:
            annotation.active_seconds = _active_seconds(active_seconds)
        elif annotation.active_seconds == 0:
            annotation.active_seconds = (now - annotation.started_at).total_seconds()
        if annotation.version == 1:
            annotation.reviews_wanted = 2 if random.random() < project.double_review_rate else 1
        annotation.save()
        AnnotationVersion.objects.create(
            annotation=annotation,
            number=annotation.version,
            result=clean,
            guideline_version=annotation.guideline_version,
            submitted_at=now,
        )
        if annotation.assignment_id:
            Assignment.objects.filter(pk=annotation.assignment_id).update(state=Assignment.State.SUBMITTED)
        hooks.on_commit(hooks.ANNOTATION_SUBMITTED, annotation=annotation, final_seq=final_seq)
    return annotation


def _claim_check(*, annotation: Annotation, now) -> None:
    """A first submission needs the claim still held: a skipped or expired claim gave the slot
    back, so accepting the work would put the task over its k annotators."""
    assignment = annotation.assignment
    if assignment is None:
        return  # made outside routing (admin, fixtures): no slot to protect
    if assignment.state == Assignment.State.ACTIVE and assignment.expires_at < now:
        assignment_release(assignment=assignment, state=Assignment.State.EXPIRED)
    if assignment.state != Assignment.State.ACTIVE:
        raise ValidationError(
            {"result": f"Your claim on this task was {assignment.get_state_display().lower()}; take the next task."}
        )


MAX_SKIP_REASON = 2000


def assignment_skip(*, assignment: Assignment, reason: str) -> Assignment:
    """Give a task back with a reason; it is never offered to this person again."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"skip_reason": "Say why you are skipping this task."})
    if len(reason) > MAX_SKIP_REASON:
        raise ValidationError(
            {"skip_reason": f"The reason is {len(reason):,} characters; the limit is {MAX_SKIP_REASON:,}."}
        )
    if problem := text_problem(reason):
        raise ValidationError({"skip_reason": f"The reason {problem}."})
    if assignment.state != Assignment.State.ACTIVE:
        raise ValidationError({"skip_reason": f"This assignment is {assignment.state}, not active."})
    with transaction.atomic():
        Assignment.objects.filter(pk=assignment.pk).update(skip_reason=reason)
        assignment_release(assignment=assignment, state=Assignment.State.SKIPPED)
        assignment.skip_reason = reason
    return assignment

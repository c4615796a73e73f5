"""Expert review and adjudication: the writes.

A review scores one submitted version of an annotation on the rubric of the guideline version it
was made under. A share of annotations (Annotation.reviews_wanted == 2, drawn at submit from
Project.double_review_rate) wants two distinct reviewers, so reviewer agreement can be measured
(quality/calibration.py). A revise verdict sends the work back to its author once every wanted
review of that version is in; the author resubmits through the normal work flow
(annotation_submit), which increments the version and keeps both as AnnotationVersion rows.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from annotations import access, hooks
from annotations.models import Adjudication, Annotation, Project, Review, Task
from annotations.selectors_review import rubric_for_annotation
from annotations.validation import result_validate

MAX_FEEDBACK = 20_000


def _may_review_in(*, user, project: Project) -> bool:
    return project.is_active and access.may(user, project, access.REVIEW)


def scores_validate(*, annotation: Annotation, scores) -> tuple[dict, object]:
    """Clean {dimension key: int or None} against the annotation's rubric; errors name each dimension.

    None (JSON null) is "n/a": the dimension does not apply to this work (e.g. rationale quality when
    no rationale was written). It is stored as null, and agreement, drift, the export's weighted score
    and the feedback charts leave it out. A dimension left out of `scores` is still an error, so n/a is
    always a deliberate choice."""
    rubric = rubric_for_annotation(annotation=annotation)
    if rubric is None:
        raise ValidationError({"scores": "This project has no rubric yet; a project admin must add one."})
    if not isinstance(scores, dict):
        raise ValidationError({"scores": "Scores must be an object keyed by dimension."})
    errors: dict[str, str] = {}
    clean: dict[str, int | None] = {}
    dims = list(rubric.dimensions.all())
    for dim in dims:
        field = f"scores.{dim.key}"
        if dim.key not in scores or scores[dim.key] == "":
            errors[field] = f"Score {dim.name} ({dim.scale_min}-{dim.scale_max})."
            continue
        raw = scores[dim.key]
        if raw is None:
            clean[dim.key] = None  # n/a
            continue
        try:
            if isinstance(raw, bool):
                raise ValueError
            value = int(raw)
            if str(raw).strip() not in (str(value), f"{value}.0"):
                raise ValueError
        except (TypeError, ValueError):
            errors[field] = (
                f"{dim.name} must be a whole number from {dim.scale_min} to {dim.scale_max}"
                f" (or null for n/a), not {raw!r}."
            )
            continue
        if not dim.scale_min <= value <= dim.scale_max:
            errors[field] = f"{dim.name} must be from {dim.scale_min} to {dim.scale_max}, not {value}."
            continue
        clean[dim.key] = value
    unknown = sorted(set(scores) - {d.key for d in dims})
    if unknown:
        errors["scores"] = f"Unknown dimension(s): {', '.join(map(str, unknown))}."
    if errors:
        raise ValidationError(errors)
    return clean, rubric


def review_create(
    *,
    annotation: Annotation,
    reviewer,
    scores: dict,
    verdict: str,
    feedback: str = "",
    exemplary: bool = False,
    exemplar_note: str = "",
    seconds_spent: float = 0.0,
) -> Review:
    """Score the annotation's current version (a score of None is n/a: see scores_validate); a revise
    verdict returns it to its author once all wanted reviews of the version are in. Raises
    PermissionDenied (who) or ValidationError (what)."""
    project = annotation.task.project
    if not _may_review_in(user=reviewer, project=project):
        raise PermissionDenied("You do not review in this project.")
    if annotation.annotator_id == reviewer.pk:
        raise PermissionDenied("You cannot review your own annotation.")
    errors: dict[str, str] = {}
    try:
        clean_scores, rubric = scores_validate(annotation=annotation, scores=scores)
    except ValidationError as exc:
        errors.update(exc.message_dict if hasattr(exc, "error_dict") else {"scores": exc.messages})
        clean_scores, rubric = {}, None
    if verdict not in Review.Verdict.values:
        errors["verdict"] = f"Choose a verdict: accept, revise or reject (got {verdict!r})."
    feedback = (feedback or "").strip()
    exemplar_note = (exemplar_note or "").strip()
    if verdict in (Review.Verdict.REVISE, Review.Verdict.REJECT) and not feedback:
        errors["feedback"] = f"Write feedback: a {verdict} verdict must tell the annotator what to change."
    elif len(feedback) > MAX_FEEDBACK:
        errors["feedback"] = f"Feedback is {len(feedback)} characters; the limit is {MAX_FEEDBACK}."
    if exemplary and verdict != Review.Verdict.ACCEPT and "verdict" not in errors:
        errors["exemplary"] = "Only accepted work can be an exemplar."
    elif exemplary and not exemplar_note:
        errors["exemplar_note"] = "Say why this work is exemplary (shown to other annotators)."
    elif len(exemplar_note) > MAX_FEEDBACK:
        errors["exemplar_note"] = f"The note is {len(exemplar_note)} characters; the limit is {MAX_FEEDBACK}."
    try:
        seconds = float(seconds_spent)
        if seconds < 0 or seconds != seconds:
            raise ValueError
    except (TypeError, ValueError):
        errors["seconds_spent"] = f"Time spent must be a non-negative number of seconds, not {seconds_spent!r}."
        seconds = 0.0
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        # Lock the row so two reviewers cannot both take the last wanted slot.
        current = Annotation.objects.select_for_update().get(pk=annotation.pk)
        if current.state != Annotation.State.SUBMITTED:
            raise ValidationError({"annotation": f"This annotation is {current.get_state_display().lower()}."})
        reviews = Review.objects.filter(annotation=current, annotation_version=current.version)
        if reviews.filter(reviewer=reviewer).exists():
            raise ValidationError({"annotation": f"You already reviewed version {current.version} of this work."})
        done = reviews.count()
        if done >= current.reviews_wanted:
            raise ValidationError({"annotation": f"This version already has the {done} review(s) it needs."})
        review = Review.objects.create(
            annotation=current,
            annotation_version=current.version,
            reviewer=reviewer,
            rubric=rubric,
            scores=clean_scores,
            verdict=verdict,
            exemplary=bool(exemplary),
            exemplar_note=exemplar_note if exemplary else "",
            feedback=feedback,
            seconds_spent=round(seconds, 1),
            # The version the work was made and judged under (its rubric is that version's).
            guideline_version=current.guideline_version,
        )
        if done + 1 >= current.reviews_wanted and reviews.filter(verdict=Review.Verdict.REVISE).exists():
            current.state = Annotation.State.RETURNED
            current.save(update_fields=["state"])
        annotation.state = current.state
        annotation.version = current.version
        hooks.on_commit(hooks.REVIEW_CREATED, review=review)
    return review


def adjudication_create(
    *,
    task: Task,
    adjudicator,
    source: str,
    considered: list[Annotation],
    final_result,
    reasoning: str,
) -> Adjudication:
    """Record the final answer where annotators (a result of the project's kind) or reviewers (a final
    verdict) disagreed, with the reasoning and the annotations considered. A final revise verdict
    sends the annotation back to its author."""
    project = task.project
    if not _may_review_in(user=adjudicator, project=project):
        raise PermissionDenied("You do not adjudicate in this project.")
    if any(a.annotator_id == adjudicator.pk for a in considered):
        raise PermissionDenied("You annotated this task; someone else must adjudicate it.")
    errors: dict[str, str] = {}
    if source not in Adjudication.Source.values:
        errors["source"] = f"Unknown source {source!r}: annotators or reviewers."
    if not considered:
        errors["considered"] = "Choose the annotations you considered."
    elif any(a.task_id != task.pk or a.state == Annotation.State.DRAFT for a in considered):
        errors["considered"] = "Only submitted annotations of this task can be considered."
    reasoning = (reasoning or "").strip()
    if not reasoning:
        errors["reasoning"] = "Explain the decision: the reasoning is kept in the log."
    elif len(reasoning) > MAX_FEEDBACK:
        errors["reasoning"] = f"The reasoning is {len(reasoning)} characters; the limit is {MAX_FEEDBACK}."
    clean: dict = {}
    if source == Adjudication.Source.REVIEWERS:
        verdict = final_result.get("verdict") if isinstance(final_result, dict) else None
        if verdict not in Review.Verdict.values:
            errors["final_result.verdict"] = f"Choose the final verdict: accept, revise or reject (got {verdict!r})."
        else:
            clean = {"verdict": verdict}
    elif source == Adjudication.Source.ANNOTATORS:
        try:
            clean = result_validate(project=project, result=final_result)
        except ValidationError as exc:
            errors.update({f"final_result.{k}": " ".join(v) for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        adjudication = Adjudication.objects.create(
            task=task, adjudicator=adjudicator, source=source, final_result=clean, reasoning=reasoning
        )
        adjudication.considered.set(considered)
        if source == Adjudication.Source.REVIEWERS and clean["verdict"] == Review.Verdict.REVISE:
            Annotation.objects.filter(pk__in=[a.pk for a in considered], state=Annotation.State.SUBMITTED).update(
                state=Annotation.State.RETURNED
            )
        hooks.on_commit(hooks.ADJUDICATED, adjudication=adjudication)
    return adjudication

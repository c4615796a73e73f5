"""The annotator's loop: next task -> annotate or compare -> submit -> next task, without a page reload.

Thin views: routing, starting, saving, submitting and skipping are services; reads are selectors.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import dateformat, timezone
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import reswap, retarget
from markdown_it import MarkdownIt

from annotations import hooks
from annotations.inputs import references_shown
from annotations.models import Annotation, Assignment, Project
from annotations.parsing import error_slots, form_state, number_from_post, result_from_post, screen_errors
from annotations.selectors import annotations_done_today
from annotations.selectors_work import (
    annotation_for_work,
    guideline_changes_since_last_work,
    project_for_work,
    returned_reviews,
    returned_waiting,
    work_waiting_by_project,
)
from annotations.services.routing import assignment_next
from annotations.services.work import annotation_save_draft, annotation_start, annotation_submit, assignment_skip

SCREENS = {
    Project.Kind.WRITE: "annotations/annotate.html",
    Project.Kind.CLASSIFY: "annotations/annotate.html",
    Project.Kind.COMPARE: "annotations/compare.html",
}
FEEDBACK = "annotations/annotate.html#form-feedback"
NOT_ASSIGNED = (
    "This task is no longer assigned to you (it was skipped or its time ran out), so it cannot be submitted. "
    "Your text is still here: copy it if you need it."
)
# Guidelines are written by project admins but rendered for everyone: raw HTML stays text.
_markdown = MarkdownIt("commonmark", {"html": False})


def _screen(request: HttpRequest, template: str) -> str:
    return f"{template}#work-area" if request.htmx else template


def _work_context(
    request: HttpRequest, *, project: Project, annotation: Annotation, result=None, errors=None, skip_reason=""
) -> dict:
    """Everything the annotate/compare screen shows for one annotation; opens a telemetry session."""
    errors = errors or {}
    guideline = project.current_guideline()
    task = annotation.task
    payload = task.payload if isinstance(task.payload, dict) else {}
    context = {
        "project": project,
        "annotation": annotation,
        "task": task,
        "payload": payload,
        "references": references_shown(task.references),
        "guideline": guideline,
        "guideline_html": _markdown.render(guideline.text) if guideline else "",
        "changes": guideline_changes_since_last_work(user=request.user, project=project, current=guideline),
        "telemetry": hooks.call_first(hooks.EDITOR_SESSION, annotation=annotation, user=request.user),
        "form": form_state(
            project=project,
            annotation=annotation,
            result=annotation.result if result is None else result,
            errors=errors,
        ),
        "err": {key.replace("-", "_"): message for key, message in errors.items()},
        "skip_reason": skip_reason,
        "done_today": annotations_done_today(user=request.user),
        "waiting": work_waiting_by_project(user=request.user, project_ids=[project.pk])[project.pk]["waiting"],
        "returned_reviews": returned_reviews(annotation=annotation),
        "returned_waiting": returned_waiting(user=request.user, project=project, exclude=annotation),
    }
    if project.kind == Project.Kind.COMPARE:
        left = annotation.left_response or "a"
        right = "b" if left == "a" else "a"
        context["left_text"] = payload.get(f"response_{left}", "")
        context["right_text"] = payload.get(f"response_{right}", "")
    return context


def _workable(annotation: Annotation) -> bool:
    """Sent back for revision, or a draft whose claim is still active."""
    if annotation.state == Annotation.State.RETURNED:
        return True
    assignment = annotation.assignment
    return (
        annotation.state == Annotation.State.DRAFT
        and assignment is not None
        and assignment.state == Assignment.State.ACTIVE
        and assignment.expires_at >= timezone.now()
    )


def _next_screen(request: HttpRequest, project: Project) -> HttpResponse:
    """The caller's current or newly routed task, or the all-done screen."""
    assignment = assignment_next(project=project, user=request.user)
    if assignment is None:
        context = {
            "project": project,
            "done_here": Annotation.objects.filter(
                annotator=request.user, task__project=project, state=Annotation.State.SUBMITTED
            ).count(),
            "done_today": annotations_done_today(user=request.user),
            "returned_waiting": returned_waiting(user=request.user, project=project),
        }
        return render(request, _screen(request, "annotations/done.html"), context)
    annotation = annotation_start(assignment=assignment)
    context = _work_context(request, project=project, annotation=annotation)
    return render(request, _screen(request, SCREENS[project.kind]), context)


def _feedback(
    request: HttpRequest, *, message: str, ok: bool, slots: list[str], errors: dict, saved: Annotation | None = None
) -> HttpResponse:
    """An htmx answer that leaves the form as typed: a status line, plus each error slot swapped out of band
    (and the draft indicator, when a draft was `saved`)."""
    context = {
        "feedback": message,
        "feedback_ok": ok,
        "slots": [{"id": slot, "message": errors.get(slot, "")} for slot in slots],
        "annotation": saved,
    }
    response = render(request, FEEDBACK, context)
    return reswap(retarget(response, "#form-status"), "innerHTML")


@login_required
@require_GET
def work(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_for_work(user=request.user, project_id=project_id)
    return _next_screen(request, project)


@login_required
@require_http_methods(["GET", "POST"])
def work_annotation(request: HttpRequest, project_id: int, annotation_id: int) -> HttpResponse:
    """GET: one of the caller's annotations (a task in progress, or work sent back for revision).
    POST: submit (default), save a draft ("action=draft") or skip with a reason ("action=skip")."""
    project = project_for_work(user=request.user, project_id=project_id)
    annotation = annotation_for_work(user=request.user, project=project, annotation_id=annotation_id)
    if request.method == "GET":
        if not _workable(annotation):
            return redirect("annotations:work", project.pk)
        context = _work_context(request, project=project, annotation=annotation)
        return render(request, _screen(request, SCREENS[project.kind]), context)
    action = request.POST.get("action", "submit")
    if action == "skip":
        return _skip(request, project=project, annotation=annotation)
    if action == "draft" and request.POST.get("autosave"):
        return _autosave(request, project=project, annotation=annotation)
    if annotation.state == Annotation.State.SUBMITTED:  # a second click on a task already handed in
        return _next_screen(request, project) if request.htmx else redirect("annotations:work", project.pk)
    if action == "draft":
        return _save_draft(request, project=project, annotation=annotation)
    return _submit(request, project=project, annotation=annotation)


def _refused(request: HttpRequest, exc: ValidationError, *, project, annotation, slots, what, result=None, **extra):
    """Each error beside its field; what was typed stays (htmx: the form is not even replaced)."""
    errors = screen_errors(project=project, message_dict=exc.message_dict)
    if request.htmx:
        count = len(errors)
        message = f"{what}: {count} field{'s' if count != 1 else ''} to fix (marked in red)."
        return _feedback(request, message=message, ok=False, slots=slots, errors=errors)
    context = _work_context(request, project=project, annotation=annotation, result=result, errors=errors, **extra)
    return render(request, SCREENS[project.kind], context)


def _submit(request: HttpRequest, *, project: Project, annotation: Annotation) -> HttpResponse:
    result = result_from_post(project=project, annotation=annotation, data=request.POST)
    try:
        if not _workable(annotation):
            raise ValidationError({"result": NOT_ASSIGNED})
        annotation_submit(
            annotation=annotation,
            result=result,
            final_seq=number_from_post(request.POST, "final_seq", integer=True),
            active_seconds=number_from_post(request.POST, "active_seconds"),
        )
    except ValidationError as exc:
        slots = error_slots(project=project)
        what = "Not submitted"
        return _refused(request, exc, project=project, annotation=annotation, slots=slots, what=what, result=result)
    if request.htmx:
        return _next_screen(request, project)
    return redirect("annotations:work", project.pk)


def _save_draft(request: HttpRequest, *, project: Project, annotation: Annotation) -> HttpResponse:
    result = result_from_post(project=project, annotation=annotation, data=request.POST)
    try:
        annotation_save_draft(
            annotation=annotation, result=result, active_seconds=number_from_post(request.POST, "active_seconds")
        )
    except ValidationError as exc:
        slots = error_slots(project=project)
        what = "Draft not saved"
        return _refused(request, exc, project=project, annotation=annotation, slots=slots, what=what, result=result)
    saved = f"Draft saved at {_saved_time(annotation)}."
    if request.htmx:
        slots = error_slots(project=project)
        return _feedback(request, message=saved, ok=True, slots=slots, errors={}, saved=annotation)
    messages.success(request, saved)
    return redirect(request.path)


def _saved_time(annotation: Annotation) -> str:
    """When the draft was last saved, as the draft indicator shows it (the template's `time:"H:i:s"`)."""
    return dateformat.time_format(timezone.localtime(annotation.draft_saved_at), "H:i:s")


def _autosave(request: HttpRequest, *, project: Project, annotation: Annotation) -> JsonResponse:
    """The screen's own draft save (debounced, and on page hide): a JSON answer the page reads quietly,
    never a page or a redirect. Work already handed in is 409, which the page takes as "nothing to do"."""
    submitted = JsonResponse({"detail": "This annotation is already submitted."}, status=409)
    if annotation.state == Annotation.State.SUBMITTED:
        return submitted
    result = result_from_post(project=project, annotation=annotation, data=request.POST)
    try:
        annotation_save_draft(
            annotation=annotation, result=result, active_seconds=number_from_post(request.POST, "active_seconds")
        )
    except ValidationError as exc:
        annotation.refresh_from_db(fields=["state"])
        if annotation.state == Annotation.State.SUBMITTED:  # the submit committed while this request ran
            return submitted
        errors = screen_errors(project=project, message_dict=exc.message_dict)
        detail = "Draft not saved: " + " ".join(errors.values())
        return JsonResponse({"detail": detail, "errors": errors}, status=400)
    return JsonResponse(
        {"saved_at": annotation.draft_saved_at.isoformat(), "indicator": f"Draft saved {_saved_time(annotation)}"}
    )


def _skip(request: HttpRequest, *, project: Project, annotation: Annotation) -> HttpResponse:
    reason = request.POST.get("skip_reason", "")
    try:
        if annotation.assignment is None:
            raise ValidationError({"skip_reason": "This task is no longer assigned to you."})
        assignment_skip(assignment=annotation.assignment, reason=reason)
    except ValidationError as exc:
        return _refused(
            request,
            exc,
            project=project,
            annotation=annotation,
            slots=["error-skip_reason"],
            what="Not skipped",
            skip_reason=reason,
        )
    if request.htmx:
        return _next_screen(request, project)
    messages.info(request, "Task skipped.")
    return redirect("annotations:work", project.pk)

"""The review console: queue, one annotation with its evidence and the rubric, reviewer calibration,
adjudication. Reviewers and project admins only (403 for everyone else); members of the project only,
unless project admin (selectors_review scopes every read)."""

import time
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect, push_url, reswap, retarget

from annotations import hooks, roles
from annotations import selectors_review as sel
from annotations.inputs import InputError, integer_check
from annotations.models import Adjudication, Annotation, AnnotationVersion, Project, Review
from annotations.parsing import optional_integer
from annotations.selectors_review import queue_filters
from annotations.services.review import adjudication_create, review_create

OPENED_SALT = "annotations.review.opened"
OPENED_MAX_AGE = 12 * 3600  # a review form older than this must be reloaded


def _require_reviewer(user) -> None:
    if not roles.is_reviewer(user):
        raise PermissionDenied("The review console is for reviewers and project admins.")


# --- Queue --------------------------------------------------------------------------


def _filters_querystring(filters: dict) -> str:
    names = {"project_id": "project", "needs_second": "second"}
    return urlencode({names.get(k, k): ("1" if v is True else v) for k, v in filters.items()})


def _annotator_label(*, annotation: Annotation, project: Project, index: int | None = None) -> str:
    if project.blind_review:
        return f"Annotator {index}" if index is not None else "Annotator (hidden: blind review)"
    return annotation.annotator.get_username()


# Queue columns a reviewer can sort by, in the order shown (the annotator's only without blind review).
QUEUE_COLUMNS = (
    ("project", "Project"),
    ("annotator", "Annotator"),
    ("submitted", "Submitted"),
    ("version", "Annotation version"),
    ("reviews", "Reviews done / wanted"),
    ("flags", "Flags"),
)


def _sort_headers(*, filters: dict, blind: bool) -> dict[str, dict]:
    """Per sortable column: the link that sorts by it (keeping the filters), and its current direction."""
    current = filters.get("sort", "")
    base = {k: v for k, v in filters.items() if k != "sort"}
    headers = {}
    for key, label in QUEUE_COLUMNS:
        if key == "annotator" and blind:
            headers[key] = {"label": label, "url": None, "direction": None}
            continue
        direction = "ascending" if current == key else "descending" if current == f"-{key}" else None
        target = f"-{key}" if direction == "ascending" else key
        query = _filters_querystring({**base, "sort": target})
        headers[key] = {"label": label, "url": f"?{query}", "direction": direction}
    return headers


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    _require_reviewer(request.user)
    filters, errors = queue_filters(request.GET, user=request.user)
    rows = sel.review_queue(user=request.user, **filters)
    for a in rows:
        a.annotator_label = _annotator_label(annotation=a, project=a.task.project)
        a.review_url = reverse("annotations:review_annotation", args=[a.pk]) + (
            f"?{_filters_querystring(filters)}" if filters else ""
        )
    options = sel.queue_filter_options(user=request.user)
    in_view = [
        p
        for p in options["projects"]
        if filters.get("project_id") in (None, p.pk) and filters.get("kind") in (None, p.kind)
    ]
    counts = sel.review_queue_counts(user=request.user, **filters)
    by_project = sel.review_queue_counts(user=request.user, **{k: v for k, v in filters.items() if k != "project_id"})
    for p in options["projects"]:
        p.waiting = by_project["by_project"].get(p.pk, 0)  # beside the project filter: all but that filter
        p.in_filter = counts["by_project"].get(p.pk, 0)
    context = {
        "rows": rows,
        "filters": filters,
        "errors": errors,
        "options": options,
        "querystring": _filters_querystring(filters),
        "total": counts["total"],
        "waiting_by_project": [p for p in in_view if p.in_filter],
        "headers": _sort_headers(filters=filters, blind=any(p.blind_review for p in in_view)),
    }
    template = "annotations/review_queue.html" + ("#queue" if request.htmx else "")
    return render(request, template, context)


# --- One annotation -----------------------------------------------------------------


def _replay_steps(replay) -> list[dict]:
    """Snapshots from the evidence hook, with the diff normalised to segments the template can colour."""
    steps = []
    for i, snap in enumerate(replay or []):
        if not isinstance(snap, dict):
            continue
        diff = snap.get("diff")
        segments: list[dict] = []
        if isinstance(diff, str):
            segments = [{"op": "raw", "text": diff}]
        elif isinstance(diff, list):
            for part in diff:
                src = None
                if isinstance(part, dict):
                    op, text, src = part.get("op") or part.get("type"), part.get("text", ""), part.get("src")
                elif isinstance(part, list | tuple) and len(part) == 2:
                    op, text = part
                else:
                    continue
                op = {"+": "ins", "insert": "ins", "-": "del", "delete": "del", 1: "ins", -1: "del"}.get(op, "eq")
                segments.append({"op": op, "text": str(text), "src": src})
        steps.append(
            {
                "index": i,
                "seq": snap.get("seq"),
                "seconds": round(float(snap.get("t") or 0) / 1000, 1),
                "field": snap.get("field", ""),
                "why": snap.get("why", ""),
                "text": snap.get("text", ""),
                # The whole text with pasted stretches marked ([{"text", "src"}]), when telemetry found them.
                "marked": [m for m in snap.get("marked") or [] if isinstance(m, dict)],
                "segments": segments,
            }
        )
    return steps


def _opened_token(*, annotation: Annotation, user) -> str:
    return signing.dumps({"a": annotation.pk, "u": user.pk, "t": time.time()}, salt=OPENED_SALT)


def _seconds_since_opened(*, token: str, annotation: Annotation, user) -> float:
    """Time spent, measured server-side from the signed moment the form was opened."""
    try:
        data = signing.loads(token or "", salt=OPENED_SALT, max_age=OPENED_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ValidationError({"opened": "This review form was opened more than 12 hours ago; reload it."}) from exc
    except signing.BadSignature as exc:
        raise ValidationError({"opened": "The review form's timer is missing or altered; reload the page."}) from exc
    if data.get("a") != annotation.pk or data.get("u") != user.pk:
        raise ValidationError({"opened": "This review form belongs to another annotation; reload the page."})
    return max(0.0, time.time() - float(data["t"]))


def review_page_context(*, request: HttpRequest, annotation: Annotation, querystring: str, form: dict | None = None):
    project = annotation.task.project
    rubric = sel.rubric_for_annotation(annotation=annotation)
    evidence = hooks.call_first(hooks.REVIEW_EVIDENCE, annotation=annotation)
    others = sel.other_annotations_of_task(annotation=annotation)
    for i, other in enumerate(others, start=2):
        other.annotator_label = _annotator_label(annotation=other, project=project, index=i)
        other.display = sel.result_display(project=project, result=other.result)
    annotation.display = sel.result_display(project=project, result=annotation.result)
    versions = list(AnnotationVersion.objects.filter(annotation=annotation).order_by("number"))
    for version in versions:
        version.display = sel.result_display(project=project, result=version.result)
    reviews = sel.reviews_of_annotation(annotation=annotation)
    form = form or {}
    dims = []
    for dim in rubric.dimensions.all() if rubric else []:
        dims.append(
            {
                "dim": dim,
                "field": f"score-{dim.key}",
                "choices": list(range(dim.scale_min, dim.scale_max + 1)),
                "value": _score_field_value(form.get("scores", {}), dim.key),
                "error": form.get("errors", {}).get(f"scores.{dim.key}"),
            }
        )
    return {
        "annotation": annotation,
        "task": annotation.task,
        "project": project,
        "annotator_label": _annotator_label(annotation=annotation, project=project, index=1 if others else None),
        "versions": versions,
        "earlier_reviews": [r for r in reviews if r.annotation_version < annotation.version],
        "status": sel.review_status(annotation=annotation),
        "others": others,
        "evidence": evidence,
        "replay": _replay_steps((evidence or {}).get("replay")),
        "rubric": rubric,
        "dims": dims,
        "form": form,
        "errors": form.get("errors", {}),
        "opened": _opened_token(annotation=annotation, user=request.user) if not form.get("opened") else form["opened"],
        "querystring": querystring,
        "verdicts": Review.Verdict.choices,
        "can_review": annotation.state == Annotation.State.SUBMITTED
        and not any(r.reviewer_id == request.user.pk and r.annotation_version == annotation.version for r in reviews)
        and not sel.review_status(annotation=annotation)["complete"],
    }


NOT_APPLICABLE = "na"  # the form's value for a dimension scored n/a (stored as None)


def _score_field_value(scores: dict, key: str) -> str:
    """What the form shows as chosen for a dimension: its score, "na" for n/a, "" when not chosen."""
    if key not in scores:
        return ""
    return NOT_APPLICABLE if scores[key] is None else str(scores[key])


def _scores_from_post(*, post: QueryDict, keys: list[str]) -> dict:
    """{key: posted score} for the dimensions chosen; n/a becomes None (services/review.scores_validate)."""
    scores: dict = {}
    for key in keys:
        raw = post.get(f"score-{key}", "").strip()
        if raw:
            scores[key] = None if raw.lower() == NOT_APPLICABLE else raw
    return scores


def _form_from_post(*, request: HttpRequest, annotation: Annotation) -> dict:
    rubric = sel.rubric_for_annotation(annotation=annotation)
    keys = [d.key for d in rubric.dimensions.all()] if rubric else []
    post = request.POST
    return {
        "scores": _scores_from_post(post=post, keys=keys),
        "verdict": post.get("verdict", "").strip(),
        "feedback": post.get("feedback", ""),
        "exemplary": post.get("exemplary") in ("on", "1", "true"),
        "exemplar_note": post.get("exemplar_note", ""),
        "opened": post.get("opened", ""),
    }


@login_required
def review_annotation(request: HttpRequest, annotation_id: int) -> HttpResponse:
    _require_reviewer(request.user)
    annotation = sel.annotation_for_reviewer(user=request.user, annotation_id=annotation_id)
    source = request.POST if request.method == "POST" else request.GET
    filters, _ = queue_filters(QueryDict(source.get("queue", "")) if request.method == "POST" else request.GET)
    querystring = _filters_querystring(filters)
    if request.method == "POST":
        form = _form_from_post(request=request, annotation=annotation)
        try:
            seconds = _seconds_since_opened(token=form["opened"], annotation=annotation, user=request.user)
            review_create(
                annotation=annotation,
                reviewer=request.user,
                scores=form["scores"],
                verdict=form["verdict"],
                feedback=form["feedback"],
                exemplary=form["exemplary"],
                exemplar_note=form["exemplar_note"],
                seconds_spent=seconds,
            )
        except ValidationError as exc:
            form["errors"] = exc.message_dict
            if "opened" in form["errors"]:
                form["opened"] = ""
            context = review_page_context(request=request, annotation=annotation, querystring=querystring, form=form)
            if request.htmx:
                response = render(request, "annotations/review_annotation.html#scoring-form", context)
                return reswap(retarget(response, "#scoring-form"), "outerHTML")
            return render(request, "annotations/review_annotation.html", context, status=422)
        if not request.htmx:  # an htmx swap says it in the piece itself (just_saved)
            messages.success(request, f"Review of annotation {annotation.pk} saved.")
        following = sel.queue_next_after(user=request.user, filters=filters, skip_id=annotation.pk)
        queue_url = reverse("annotations:review_queue") + (f"?{querystring}" if querystring else "")
        if following is None:
            return HttpResponseClientRedirect(queue_url) if request.htmx else redirect(queue_url)
        next_url = reverse("annotations:review_annotation", args=[following.pk]) + (
            f"?{querystring}" if querystring else ""
        )
        if not request.htmx:
            return redirect(next_url)
        context = review_page_context(request=request, annotation=following, querystring=querystring)
        context["just_saved"] = annotation.pk
        return push_url(render(request, "annotations/review_annotation.html#review-area", context), next_url)
    context = review_page_context(request=request, annotation=annotation, querystring=querystring)
    return render(request, "annotations/review_annotation.html", context)


# --- Calibration --------------------------------------------------------------------


@login_required
def calibration(request: HttpRequest) -> HttpResponse:
    """Reviewer agreement per dimension and drift per reviewer. Calibration is about the reviewers, so
    reviewers see it for the projects they review, and project admins for the projects they run."""
    _require_reviewer(request.user)
    projects = list(sel.review_projects_for(user=request.user))
    chosen = request.GET.get("project", "")
    project = next((p for p in projects if str(p.pk) == chosen), projects[0] if projects else None)
    # Measurement lives in quality/ (registered as a hook: annotations never imports quality).
    context = {"projects": projects, "project": project}
    if project is not None:
        context["calibration"] = hooks.call_first(hooks.REVIEWER_CALIBRATION, project=project)
    return render(request, "annotations/calibration.html", context)


# --- Adjudication -------------------------------------------------------------------


@login_required
def adjudicate_list(request: HttpRequest) -> HttpResponse:
    _require_reviewer(request.user)
    projects = list(sel.review_projects_for(user=request.user))
    chosen = request.GET.get("project", "")
    project = next((p for p in projects if str(p.pk) == chosen), projects[0] if projects else None)
    open_items = sel.disagreements(user=request.user, project=project) if project else []
    for item in open_items:
        item["detail_words"] = _disagreement_words(item=item, project=project)
    log = list(sel.adjudication_log(user=request.user, project_id=project.pk if project else None)[:200])
    for entry in log:
        entry.display = _final_display(project=entry.task.project, source=entry.source, result=entry.final_result)
    context = {"projects": projects, "project": project, "open": open_items, "log": log}
    return render(request, "annotations/adjudicate_list.html", context)


# Display only: what the adjudication screens show in words instead of stored values.
_ANSWER_WORDS = {"a": "Response A", "b": "Response B", "tie": "Tie"}
_STRENGTH_WORDS = ((1, "slightly better"), (2, "clearly better"), (3, "much better"))


def _disagreement_words(*, item: dict, project: Project) -> str:
    """The selector's detail ('accept vs reject', 'a, tie') in the words the screens use."""
    if item["source"] == Adjudication.Source.REVIEWERS:
        verdicts = dict(Review.Verdict.choices)
        return " vs ".join(verdicts.get(v, v) for v in item["detail"].split(" vs "))
    if project.kind == Project.Kind.COMPARE:
        return ", ".join(_ANSWER_WORDS.get(v, v) for v in item["detail"].split(", "))
    return item["detail"]


def _final_display(*, project: Project, source: str, result) -> dict:
    """A final answer in words: a verdict, or a result of the project's kind (selectors_review.result_display)."""
    if source == Adjudication.Source.REVIEWERS:
        verdict = result.get("verdict") if isinstance(result, dict) else None
        return {"kind": "verdict", "verdict": dict(Review.Verdict.choices).get(verdict, "—")}
    return sel.result_display(project=project, result=result)


def _review_lines(annotation: Annotation) -> list[dict]:
    """The reviews of an annotation's current version, scores named by their rubric dimension."""
    rubric = sel.rubric_for_annotation(annotation=annotation)
    dimensions = list(rubric.dimensions.all()) if rubric else []
    lines = []
    for review in annotation.reviews.all():
        if review.annotation_version != annotation.version:
            continue
        scores = [
            {
                "name": row["name"],
                "value": "n/a" if row["score"] is None else row["score"],
                "max": row["max"] if row["score"] is not None else None,
            }
            for row in sel.scores_named(scores=review.scores, dimensions=dimensions)
        ]
        lines.append({"verdict": review.get_verdict_display(), "scores": scores, "feedback": review.feedback})
    return lines


def _adjudicate_form(*, project: Project, source: str, post: QueryDict, errors: dict) -> dict:
    """The final-answer form with what was posted kept, each error beside its field, and the number
    key of each choice; errors with no field of their own are listed on top, in words."""
    by_field = {k.removeprefix("final_result.").replace(".", "_"): " ".join(v) for k, v in errors.items()}
    placed = {"considered", "reasoning", "text", "rationale"}
    form: dict = {
        "errors": by_field,
        "text": post.get("text", ""),
        "rationale": post.get("rationale", ""),
        "reasoning": post.get("reasoning", ""),
        "choices": [],
        "rows": [],
    }
    if source == Adjudication.Source.REVIEWERS:
        chosen = {post.get("verdict", "")}
        pairs, form["name"], form["type"], form["legend"] = Review.Verdict.choices, "verdict", "radio", "Final verdict"
    elif project.kind == Project.Kind.CLASSIFY:
        form["name"] = "labels" if project.multi_label else "label"
        chosen = set(post.getlist(form["name"]))
        pairs = [(label, label) for label in project.labels]
        form["type"] = "checkbox" if project.multi_label else "radio"
        form["legend"] = "Final labels" if project.multi_label else "Final label"
    else:
        chosen, pairs = set(), []
    if pairs:
        placed.add(form["name"])
        form["choice_error"] = by_field.get(form["name"], "")
        form["choices"] = [
            {"value": v, "label": label, "key": str(i) if i < 10 else "", "checked": v in chosen, "id": f"final-{i}"}
            for i, (v, label) in enumerate(pairs, start=1)
        ]
    if source == Adjudication.Source.ANNOTATORS and project.kind == Project.Kind.COMPARE:
        dims = project.comparison_dimensions
        questions = [(d["key"], d.get("name", d["key"]), d.get("description", "")) for d in dims]
        for key, name, description in [*questions, ("overall", "Overall", "")]:
            field = "overall" if key == "overall" else f"dim-{key}"
            error_key = "overall" if key == "overall" else f"dimensions_{key}"
            placed.add(error_key)
            form["rows"].append(
                {
                    "name": name,
                    "description": description,
                    "field": field,
                    "choice": post.get(field, ""),
                    "strength": post.get(f"{field}-strength", ""),
                    "error": by_field.get(error_key, ""),
                    "answers": [(v, _ANSWER_WORDS[v], v[0].upper()) for v in ("a", "tie", "b")],
                    "strengths": [(str(n), words) for n, words in _STRENGTH_WORDS],
                }
            )
    form["other_errors"] = [message for key, message in by_field.items() if key not in placed]
    return form


def final_result_from_post(*, project: Project, source: str, post: QueryDict) -> dict:
    if source == Adjudication.Source.REVIEWERS:
        return {"verdict": post.get("verdict", "").strip()}
    if project.kind == Project.Kind.CLASSIFY:
        result: dict = {"text": post.get("text", "")}
        if project.multi_label:
            result["labels"] = post.getlist("labels")
        else:
            result["label"] = post.get("label", "").strip()
        return result
    if project.kind == Project.Kind.COMPARE:
        result = {"dimensions": {}, "rationale": post.get("rationale", "")}
        for dim in project.comparison_dimensions:
            choice = post.get(f"dim-{dim['key']}", "")
            if choice:
                result["dimensions"][dim["key"]] = {
                    "choice": choice,
                    "strength": optional_integer(post.get(f"dim-{dim['key']}-strength"), field="strength"),
                }
        if post.get("overall"):
            strength = optional_integer(post.get("overall-strength"), field="strength")
            result["overall"] = {"choice": post.get("overall"), "strength": strength}
        return result
    return {"text": post.get("text", "")}


def _ids_from_post(post: QueryDict, name: str) -> list[int]:
    """The ids a repeated form field holds; a ValidationError naming the field for anything else."""
    try:
        return [integer_check(raw, field="Each considered annotation", minimum=1) for raw in post.getlist(name)]
    except InputError as exc:
        raise ValidationError({name: str(exc)}) from None


@login_required
def adjudicate(request: HttpRequest, task_id: int) -> HttpResponse:
    _require_reviewer(request.user)
    source = request.POST.get("source") or request.GET.get("source") or Adjudication.Source.ANNOTATORS
    if source not in Adjudication.Source.values:
        source = Adjudication.Source.ANNOTATORS
    context = sel.adjudication_context(user=request.user, task_id=task_id, source=source)
    project = context["project"]
    for i, a in enumerate(context["annotations"], start=1):
        a.annotator_label = _annotator_label(annotation=a, project=project, index=i)
        a.display = sel.result_display(project=project, result=a.result)
        a.review_lines = _review_lines(a)
    errors: dict = {}
    posted = QueryDict()
    if request.method == "POST":
        posted = request.POST
        try:
            ids = _ids_from_post(request.POST, "considered")
            adjudication_create(
                task=context["task"],
                adjudicator=request.user,
                source=source,
                considered=sel.annotations_by_ids(task=context["task"], ids=ids),
                final_result=final_result_from_post(project=project, source=source, post=request.POST),
                reasoning=request.POST.get("reasoning", ""),
            )
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, f"Adjudication of task {task_id} recorded.")
            return redirect(reverse("annotations:adjudicate_list") + f"?project={project.pk}")
    considered = set(posted.getlist("considered")) if request.method == "POST" else None
    for a in context["annotations"]:
        a.considered = considered is None or str(a.pk) in considered
    form = _adjudicate_form(project=project, source=source, post=posted, errors=errors)
    context.update({"errors": errors, "form": form})
    return render(request, "annotations/adjudicate.html", context, status=422 if errors else 200)

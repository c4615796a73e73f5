"""Reads for the review console, adjudication and the annotator's feedback page.

Every function scopes to what the caller may see: reviewers see projects they belong to (project
admins see all), never their own work in the queue; annotators see reviews of their own work only,
and other people's work only as anonymised exemplars where the project allows it.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, IntegerField, Min, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from annotations import access, hooks
from annotations.inputs import InputError, integer_check, text_problem
from annotations.json_filters import json_list_has
from annotations.models import Adjudication, Annotation, AnnotationVersion, Project, Review, Rubric, Task

QUEUE_LIMIT = 200  # rows a queue screen shows; the filters narrow it down


# --- Who may review where -----------------------------------------------------------


def review_projects_for(*, user) -> QuerySet[Project]:
    """Active projects where the user reviews (reviewers and admins of the project; superusers all)."""
    return access.projects(user, access.REVIEW).order_by("name")


def review_project_for(*, user, project_id: int) -> Project:
    project = review_projects_for(user=user).filter(pk=project_id).first()
    if project is None:
        raise Http404("No such project for you.")
    return project


def rubric_for_annotation(*, annotation: Annotation) -> Rubric | None:
    """The rubric of the guideline version the annotation was made under; else the newest rubric of an
    earlier version; else the project's newest rubric (a project that added a rubric later)."""
    rubrics = Rubric.objects.filter(project_id=annotation.task.project_id).prefetch_related("dimensions")
    gv = annotation.guideline_version
    if gv is not None:
        exact = rubrics.filter(guideline_version=gv).order_by("-id").first()
        if exact is not None:
            return exact
        earlier = (
            rubrics.filter(Q(guideline_version__number__lte=gv.number) | Q(guideline_version__isnull=True))
            .order_by(F("guideline_version__number").desc(nulls_last=True), "-id")
            .first()
        )
        if earlier is not None:
            return earlier
    return rubrics.order_by("-id").first()


# --- The queue ----------------------------------------------------------------------

# Columns the queue sorts by: the name in the querystring (`?sort=flags`, `?sort=-flags`) -> ORDER BY.
QUEUE_SORTS: dict[str, tuple[str, ...]] = {
    "submitted": ("submitted_at",),
    "project": ("task__project__name",),
    "annotator": ("annotator__username",),
    "version": ("version",),
    "reviews": ("reviews_done", "reviews_wanted"),
    "flags": ("flag_count",),
}
NO_TELEMETRY = "Filtering by flag needs the telemetry app, which is not installed here: no flag filter applied."


class QueueFilterRefused(ValueError):
    """A queue filter that cannot be applied here (a caller skipped queue_filters)."""


def _with_review_counts(qs: QuerySet[Annotation]) -> QuerySet[Annotation]:
    """reviews_done: distinct reviewers of the current version, as a subquery (no GROUP BY on the
    queue, so it can be counted per project in one query)."""
    done = (
        Review.objects.filter(annotation=OuterRef("pk"), annotation_version=OuterRef("version"))
        .order_by()
        .values("annotation")
        .annotate(n=Count("reviewer", distinct=True))
        .values("n")
    )
    return qs.annotate(reviews_done=Coalesce(Subquery(done, output_field=IntegerField()), 0))


def _default_order(*, annotations: QuerySet[Annotation], user) -> QuerySet[Annotation]:
    return annotations.order_by("submitted_at", "id")


def review_queue_queryset(
    *,
    user,
    project_id: int | None = None,
    kind: str = "",
    domain: str = "",
    flag: str = "",
    unreviewed: bool = False,
    needs_second: bool = False,
) -> QuerySet[Annotation]:
    """Every annotation waiting for this user's review under these filters, unordered and unsliced.

    Each filter is applied in SQL, so counting and slicing see the same rows. The flag filter asks
    telemetry (the "annotations_with_flag" hook) for a subquery of flagged ids; without telemetry it
    is refused (QueueFilterRefused), never ignored."""
    qs = Annotation.objects.filter(
        state=Annotation.State.SUBMITTED, task__project__in=review_projects_for(user=user)
    ).exclude(annotator=user)
    # Exists, not exclude(reviews__...): exclude() across a multi-valued relation may match the two
    # conditions on different reviews.
    mine = Review.objects.filter(annotation=OuterRef("pk"), reviewer=user, annotation_version=OuterRef("version"))
    qs = qs.exclude(Exists(mine))
    qs = _with_review_counts(qs).filter(reviews_done__lt=F("reviews_wanted"))
    if project_id:
        qs = qs.filter(task__project_id=project_id)
    if kind:
        qs = qs.filter(task__project__kind=kind)
    if domain:
        qs = qs.filter(json_list_has("task__domain_tags", domain))
    if unreviewed:
        qs = qs.filter(reviews_done=0)
    if needs_second:
        qs = qs.filter(reviews_wanted=2, reviews_done=1)
    if flag:
        flagged = hooks.call_first(hooks.ANNOTATIONS_WITH_FLAG, flag=flag)
        if flagged is None:
            raise QueueFilterRefused(NO_TELEMETRY)
        qs = qs.filter(pk__in=flagged)
    return qs


def _sorted(qs: QuerySet[Annotation], *, sort: str, user) -> QuerySet[Annotation]:
    if not sort:
        ordered = hooks.call_first(hooks.REVIEW_QUEUE_ORDER, annotations=qs, user=user)
        return ordered if ordered is not None else _default_order(annotations=qs, user=user)
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    if name == "flags":
        count = hooks.call_first(hooks.ANNOTATION_FLAG_COUNT)
        qs = qs.annotate(flag_count=Coalesce(count, 0) if count is not None else Value(0))
    fields = [*QUEUE_SORTS[name], "submitted_at", "id"]
    return qs.order_by(*(f"-{f}" if descending else f for f in dict.fromkeys(fields)))


def review_queue(*, user, sort: str = "", limit: int = QUEUE_LIMIT, **filters) -> list[Annotation]:
    """Submitted annotations that still want a review from this user, in the queue order.

    An annotation stays in the queue until it has `reviews_wanted` reviews (from distinct reviewers)
    of its current version; the caller's own work and work they already reviewed never appear.
    Without `sort` the order comes from the "review_queue_order" hook (predicted quality, a later
    issue); the default is oldest submitted first. `sort` is a QUEUE_SORTS name, "-" first for
    descending. `filters` are review_queue_queryset's. Each row carries `.evidence_flags` (empty
    without telemetry).
    """
    qs = review_queue_queryset(user=user, **filters).select_related("task__project", "annotator", "guideline_version")
    rows = list(_sorted(qs, sort=sort, user=user)[:limit])
    flags = evidence_flags(annotations=rows)
    for a in rows:
        a.evidence_flags = flags.get(a.pk, [])
    return rows


def review_queue_counts(*, user, **filters) -> dict:
    """{"total": annotations waiting under these filters, "by_project": {project id: how many}}: one query."""
    filters.pop("sort", None)
    by_project = dict(
        review_queue_queryset(user=user, **filters)
        .order_by()
        .values("task__project_id")
        .annotate(n=Count("pk"))
        .values_list("task__project_id", "n")
    )
    return {"total": sum(by_project.values()), "by_project": by_project}


def evidence_flags(*, annotations: list[Annotation]) -> dict[int, list[dict]]:
    """Telemetry flags per annotation id from the "export_provenance" hook, each with its name in words
    under "label"; {} when nobody registered."""
    if not annotations:
        return {}
    merged = hooks.merged(hooks.EXPORT_PROVENANCE, annotations=annotations)
    names = flag_names() or {}
    out: dict[int, list[dict]] = {}
    for key, value in merged.items():
        flags = (value or {}).get("flags") if isinstance(value, dict) else None
        if flags:
            rows = [dict(f) if isinstance(f, dict) else {"flag": str(f)} for f in flags]
            for f in rows:
                f.setdefault("label", names.get(f.get("flag"), str(f.get("flag", "")).replace("_", " ").capitalize()))
            out[int(key)] = rows
    return out


def flag_names() -> dict[str, str] | None:
    """{flag code: name in words} from telemetry ("evidence_flag_names" hook); None without telemetry."""
    return hooks.call_first(hooks.EVIDENCE_FLAG_NAMES)


def queue_filters(data, *, user=None) -> tuple[dict, dict]:
    """(filters for selectors_review.review_queue, errors naming any filter that was not applied).

    With `user`, sorting by annotator is refused where one of the projects in view hides annotators
    (blind review)."""
    filters: dict = {}
    errors: dict[str, str] = {}
    project = (data.get("project") or "").strip()
    if project:
        try:
            filters["project_id"] = integer_check(project, field="Project", minimum=1)
        except InputError as exc:
            errors["project"] = str(exc)
    kind = (data.get("kind") or "").strip()
    if kind:
        if kind in Project.Kind.values:
            filters["kind"] = kind
        else:
            errors["kind"] = f"Kind must be one of {', '.join(Project.Kind.values)}, not {kind!r}."
    domain = (data.get("domain") or "").strip()[:100]
    if domain:
        problem = text_problem(domain)
        if problem:
            errors["domain"] = f"Domain {problem}."
        else:
            filters["domain"] = domain
    flag = (data.get("flag") or "").strip()[:100]
    if flag:
        names = flag_names()
        if names is None:
            errors["flag"] = NO_TELEMETRY
        elif flag in names:
            filters["flag"] = flag
        else:
            by_label = {label.lower(): code for code, label in names.items()}
            if flag.lower() in by_label:
                filters["flag"] = by_label[flag.lower()]
            else:
                errors["flag"] = f"Flag must be one of {', '.join(names.values())}; {flag!r} is not a flag."
    for name, key in (("unreviewed", "unreviewed"), ("second", "needs_second")):
        if data.get(name) in ("1", "on", "true"):
            filters[key] = True
    sort = (data.get("sort") or "").strip()
    if sort:
        if sort.lstrip("-") not in QUEUE_SORTS or sort.startswith("--"):
            names = ", ".join(QUEUE_SORTS)
            errors["sort"] = f"Sort must be one of {names} (with - first for descending), not {sort!r}."
        elif sort.lstrip("-") == "annotator" and user is not None and _blind_in_view(user=user, filters=filters):
            errors["sort"] = "Sorting by annotator is off: blind review hides who wrote the work."
        else:
            filters["sort"] = sort
    return filters, errors


def _blind_in_view(*, user, filters: dict) -> bool:
    projects = review_projects_for(user=user).filter(blind_review=True)
    if filters.get("project_id"):
        projects = projects.filter(pk=filters["project_id"])
    if filters.get("kind"):
        projects = projects.filter(kind=filters["kind"])
    return projects.exists()


def queue_filter_options(*, user) -> dict:
    """Choices for the queue's filter form; "flags" is None without telemetry (the filter is off)."""
    projects = list(review_projects_for(user=user))
    domains: set[str] = set()
    for tags in Task.objects.filter(project__in=projects).values_list("domain_tags", flat=True).distinct()[:1000]:
        domains.update(t for t in (tags or []) if isinstance(t, str))
    names = flag_names()
    return {
        "projects": projects,
        "kinds": Project.Kind.choices,
        "domains": sorted(domains),
        "flags": sorted(names.items(), key=lambda item: item[1]) if names is not None else None,
    }


def queue_next_after(*, user, filters: dict, skip_id: int | None = None) -> Annotation | None:
    for a in review_queue(user=user, limit=2, **filters):
        if a.pk != skip_id:
            return a
    return None


# --- One annotation -----------------------------------------------------------------


def annotation_for_reviewer(*, user, annotation_id: int) -> Annotation:
    """404 unless the annotation is submitted work in a project the user reviews; 403 for their own."""
    annotation = (
        Annotation.objects.select_related("task__project", "annotator", "guideline_version")
        .filter(pk=annotation_id, task__project__in=review_projects_for(user=user))
        .exclude(state=Annotation.State.DRAFT)
        .first()
    )
    if annotation is None:
        raise Http404("No such annotation for you to review.")
    if annotation.annotator_id == user.pk:
        raise PermissionDenied("You cannot review your own annotation.")
    return annotation


def other_annotations_of_task(*, annotation: Annotation) -> list[Annotation]:
    return list(
        Annotation.objects.filter(task_id=annotation.task_id)
        .exclude(pk=annotation.pk)
        .exclude(state=Annotation.State.DRAFT)
        .select_related("annotator")
        .order_by("submitted_at", "id")
    )


def reviews_of_annotation(*, annotation: Annotation) -> list[Review]:
    return list(annotation.reviews.select_related("reviewer").order_by("created_at"))


def review_status(*, annotation: Annotation) -> dict:
    done = annotation.reviews.filter(annotation_version=annotation.version).count()
    return {"done": done, "wanted": annotation.reviews_wanted, "complete": done >= annotation.reviews_wanted}


# --- Feedback to the annotator ------------------------------------------------------


def reviews_of_my_work(*, user) -> QuerySet[Review]:
    """Reviews of the user's own annotations, newest first (never anybody else's)."""
    return (
        Review.objects.filter(annotation__annotator=user)
        .select_related("annotation__task__project", "rubric")
        .prefetch_related("rubric__dimensions")
        .order_by("-created_at", "-id")
    )


def returned_annotations_for(*, user, project: Project | None = None) -> QuerySet[Annotation]:
    """The user's annotations sent back for revision, oldest return first."""
    qs = Annotation.objects.filter(annotator=user, state=Annotation.State.RETURNED).select_related("task__project")
    if project is not None:
        qs = qs.filter(task__project=project)
    return qs.order_by("submitted_at", "id")


def score_history(*, user) -> dict[str, dict]:
    """Per rubric dimension, how the user's scores move with experience.

    x is the n-th annotation the user submitted (by first submission, across projects), y the score
    reviewers gave it (the mean when several reviews scored it);
    {dimension key: {"name", "min", "max", "points": [[n, score], ...]}} ordered by n."""
    firsts = (
        Annotation.objects.filter(annotator=user, versions__isnull=False)
        .annotate(first_submitted=Min("versions__submitted_at"))
        .order_by("first_submitted", "id")
        .values_list("id", flat=True)
    )
    rank = {annotation_id: n for n, annotation_id in enumerate(firsts, start=1)}
    series: dict[str, dict] = {}
    scores: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    reviews = (
        Review.objects.filter(annotation__annotator=user)
        .prefetch_related("rubric__dimensions")
        .order_by("created_at", "id")
    )
    for review in reviews:
        names = {d.key: d for d in review.rubric.dimensions.all()} if review.rubric else {}
        for key, score in (review.scores or {}).items():
            if score is None:
                continue  # n/a: left out of the averages
            dim = names.get(key)
            series.setdefault(
                key,
                {
                    "name": dim.name if dim else key,
                    "min": dim.scale_min if dim else 1,
                    "max": dim.scale_max if dim else 5,
                    "points": [],
                },
            )
            n = rank.get(review.annotation_id)
            if n is not None and isinstance(score, int | float):
                scores[key][n].append(score)
    for key, entry in series.items():
        entry["points"] = [[n, round(sum(v) / len(v), 2)] for n, v in sorted(scores[key].items())]
    return series


def score_history_by_project(*, user) -> list[dict]:
    """score_history split by project, so each chart names the project its scores come from.

    x is the n-th annotation the user submitted in that project (by first submission), y the score
    reviewers gave it (the mean of several reviews). [{"project", "series": {chart id: {"name", "min",
    "max", "points"}}}] by project name; chart ids ("p<project id>-<dimension key>") are unique on a page."""
    firsts = (
        Annotation.objects.filter(annotator=user, versions__isnull=False)
        .annotate(first_submitted=Min("versions__submitted_at"))
        .order_by("first_submitted", "id")
        .values_list("id", "task__project_id")
    )
    rank: dict[int, int] = {}
    seen: dict[int, int] = defaultdict(int)
    for annotation_id, project_id in firsts:
        seen[project_id] += 1
        rank[annotation_id] = seen[project_id]
    projects: dict[int, dict] = {}
    scores: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    reviews = (
        Review.objects.filter(annotation__annotator=user)
        .select_related("annotation__task__project")
        .prefetch_related("rubric__dimensions")
        .order_by("created_at", "id")
    )
    for review in reviews:
        project = review.annotation.task.project
        entry = projects.setdefault(project.pk, {"project": project, "series": {}})
        names = {d.key: d for d in review.rubric.dimensions.all()} if review.rubric else {}
        for key, score in (review.scores or {}).items():
            if score is None:
                continue  # n/a: the dimension did not apply to that work, so it is no point on its chart
            dim = names.get(key)
            chart = f"p{project.pk}-{key}"
            entry["series"].setdefault(
                chart,
                {
                    "name": dim.name if dim else key,
                    "min": dim.scale_min if dim else 1,
                    "max": dim.scale_max if dim else 5,
                    "points": [],
                },
            )
            n = rank.get(review.annotation_id)
            if n is not None and isinstance(score, int | float) and not isinstance(score, bool):
                scores[chart][n].append(score)
    for entry in projects.values():
        for chart, series in entry["series"].items():
            series["points"] = [[n, round(sum(v) / len(v), 2)] for n, v in sorted(scores[chart].items())]
    return sorted(projects.values(), key=lambda e: (e["project"].name, e["project"].pk))


def reviewed_versions(*, reviews: list[Review]) -> dict[tuple[int, int], AnnotationVersion]:
    """{(annotation id, version number): the version as it was reviewed} for these reviews: one query."""
    pairs = {(r.annotation_id, r.annotation_version) for r in reviews}
    if not pairs:
        return {}
    versions = AnnotationVersion.objects.filter(annotation_id__in={a for a, _ in pairs})
    return {(v.annotation_id, v.number): v for v in versions if (v.annotation_id, v.number) in pairs}


def exemplars_for(*, project: Project, exclude_task_id: int | None = None, limit: int = 3) -> list[dict]:
    """Anonymised exemplary work of the project with the reviewer's note; [] unless the project allows it.

    Only what the work screen may show: the task, the result and the note. No annotator, no reviewer."""
    if not project.show_exemplars:
        return []
    reviews = (
        Review.objects.filter(
            exemplary=True,
            annotation__task__project=project,
            annotation__state=Annotation.State.SUBMITTED,
            annotation_version=F("annotation__version"),
        )
        .select_related("annotation__task")
        .order_by("-created_at")
    )
    if exclude_task_id is not None:
        reviews = reviews.exclude(annotation__task_id=exclude_task_id)
    out: list[dict] = []
    seen: set[int] = set()
    for review in reviews[: limit * 4]:
        if review.annotation_id in seen:
            continue
        seen.add(review.annotation_id)
        out.append(
            {
                "kind": project.kind,
                "payload": review.annotation.task.payload,
                "display": result_display(project=project, result=review.annotation.result),
                "note": review.exemplar_note,
            }
        )
        if len(out) >= limit:
            break
    return out


# --- Adjudication -------------------------------------------------------------------


def _overall(result: dict, kind: str):
    if kind == Project.Kind.CLASSIFY:
        if "labels" in result:
            return tuple(result.get("labels") or ())
        return result.get("label")
    if kind == Project.Kind.COMPARE:
        return (result.get("overall") or {}).get("choice")
    return None


def disagreements(*, user, project: Project, limit: int = 100) -> list[dict]:
    """Tasks where annotators disagree (classify: labels; compare: overall choice) or reviewers gave
    different verdicts on the same version, not yet adjudicated for that reason."""
    if project not in review_projects_for(user=user):
        raise Http404("No such project for you.")
    settled = set(Adjudication.objects.filter(task__project=project).values_list("task_id", "source"))
    submitted = Annotation.objects.filter(task__project=project, state=Annotation.State.SUBMITTED).select_related(
        "task"
    )
    out: list[dict] = []
    if project.kind in (Project.Kind.CLASSIFY, Project.Kind.COMPARE):
        by_task: dict[int, list[Annotation]] = defaultdict(list)
        for a in submitted.order_by("task_id", "id"):
            by_task[a.task_id].append(a)
        for task_id, group in by_task.items():
            answers = {_overall(a.result, project.kind) for a in group}
            if len(group) > 1 and len(answers) > 1 and (task_id, Adjudication.Source.ANNOTATORS) not in settled:
                out.append(
                    {
                        "task": group[0].task,
                        "source": Adjudication.Source.ANNOTATORS,
                        "detail": ", ".join(sorted(_answer_label(x) for x in answers)),
                        "count": len(group),
                    }
                )
    verdicts: dict[tuple[int, int], set[str]] = defaultdict(set)
    tasks: dict[tuple[int, int], Task] = {}
    for review in Review.objects.filter(
        annotation__in=submitted, annotation_version=F("annotation__version")
    ).select_related("annotation__task"):
        verdicts[(review.annotation_id, review.annotation_version)].add(review.verdict)
        tasks[(review.annotation_id, review.annotation_version)] = review.annotation.task
    for key, found in verdicts.items():
        task = tasks[key]
        if len(found) > 1 and (task.pk, Adjudication.Source.REVIEWERS) not in settled:
            out.append(
                {
                    "task": task,
                    "source": Adjudication.Source.REVIEWERS,
                    "detail": " vs ".join(sorted(found)),
                    "count": 2,
                    "annotation_id": key[0],
                }
            )
    return out[:limit]


def _answer_label(value) -> str:
    if isinstance(value, tuple):
        return "+".join(value) or "(none)"
    return str(value)


def adjudication_context(*, user, task_id: int, source: str) -> dict:
    """The versions an adjudicator compares side by side (never their own work)."""
    task = Task.objects.select_related("project").filter(pk=task_id).first()
    if task is None or task.project not in review_projects_for(user=user):
        raise Http404("No such task for you.")
    annotations = list(
        Annotation.objects.filter(task=task, state=Annotation.State.SUBMITTED)
        .select_related("annotator")
        .prefetch_related("reviews__reviewer", "versions")
        .order_by("id")
    )
    if any(a.annotator_id == user.pk for a in annotations):
        raise PermissionDenied("You annotated this task; someone else must adjudicate it.")
    if source == Adjudication.Source.REVIEWERS:
        annotations = [a for a in annotations if len({r.verdict for r in a.reviews.all()}) > 1] or annotations
    return {"task": task, "project": task.project, "annotations": annotations, "source": source}


def adjudication_log(*, user, project_id: int | None = None) -> QuerySet[Adjudication]:
    qs = (
        Adjudication.objects.filter(task__project__in=review_projects_for(user=user))
        .select_related("task__project", "adjudicator")
        .prefetch_related("considered")
    )
    if project_id:
        qs = qs.filter(task__project_id=project_id)
    return qs.order_by("-created_at", "-id")


def annotations_by_ids(*, task: Task, ids: Iterable[int]) -> list[Annotation]:
    return list(Annotation.objects.filter(task=task, pk__in=list(ids)))


# --- Display ------------------------------------------------------------------------

_STRENGTH = {1: "slightly better", 2: "clearly better", 3: "much better"}


def _preference_label(pref) -> str:
    if not isinstance(pref, dict):
        return "—"
    choice = pref.get("choice")
    if choice == "tie":
        return "Tie"
    if choice in ("a", "b"):
        strength = _STRENGTH.get(pref.get("strength"), "")
        return f"Response {choice.upper()}" + (f", {strength}" if strength else "")
    return "—"


def result_display(*, project: Project, result) -> dict:
    """A result in words for the review, adjudication, feedback and exemplar screens. Compare choices are
    stored in terms of the true responses A/B, whichever side the annotator saw them on."""
    result = result if isinstance(result, dict) else {}
    if project.kind == Project.Kind.COMPARE:
        names = {d.get("key"): d.get("name", d.get("key")) for d in project.comparison_dimensions}
        dims = result.get("dimensions") or {}
        return {
            "kind": "compare",
            "overall": _preference_label(result.get("overall")),
            "dimensions": [{"name": names.get(k, k), "choice": _preference_label(v)} for k, v in dims.items()],
            "text": result.get("rationale", ""),
        }
    if project.kind == Project.Kind.CLASSIFY:
        labels = result.get("labels") if "labels" in result else [result.get("label")] if result.get("label") else []
        return {"kind": "classify", "labels": labels, "text": result.get("text", "")}
    return {"kind": "write", "text": result.get("text", "")}


def scores_named(*, scores, dimensions) -> list[dict]:
    """A review's scores as rows in the rubric's order, each named by its dimension: [{"key", "name",
    "score", "max"}], score None for n/a. The order never comes from the stored object (PostgreSQL's
    jsonb keeps keys in an order of its own); keys the rubric does not know come last."""
    dims = {d.key: d for d in dimensions}
    rank = {key: i for i, key in enumerate(dims)}
    given = sorted((scores or {}).items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))
    return [
        {
            "key": key,
            "name": dims[key].name if key in dims else key,
            "score": score,
            "max": dims[key].scale_max if key in dims else None,
        }
        for key, score in given
    ]

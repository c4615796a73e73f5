"""The export page of a project, for its admins: make an export (format and filters), download it, see
what past exports held and left out, and report model outcomes against them.

Every choice and check is the export services' (annotations.services.io: export_create,
outcome_report_create), the same as `POST /api/projects/{id}/export/`; this view only reads the form
and shows the services' errors beside their fields, with everything typed kept.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from annotations import access
from annotations.inputs import text_problem
from annotations.models import Export, Project
from annotations.services.io import export_create, outcome_report_create

FILTER_FIELDS = ("include_rejected", "accepted_only", "min_score", "exclude_flagged")
VERSIONS = "exclude_guideline_versions"
OUTCOME_FIELDS = (  # (field, label, hint)
    ("metric", "Metric", "e.g. reward_model_accuracy"),
    ("value", "Value", "a number"),
    ("baseline", "Baseline", "optional: the figure without this data"),
    ("notes", "Notes", "optional"),
)
# Why an annotation was left out (io_export.LEFT_OUT_REASONS), in words.
LEFT_OUT_WORDS = {
    "tie": "ties (no preference pair)",
    "rejected": "rejected in review",
    "not_accepted": "not accepted by every review",
    "unscored": "no review score",
    "below_min_score": "below the minimum score",
    "flagged": "telemetry flags",
    "guideline_version": "excluded guideline version",
}
SHOWN = 50  # past exports listed


def _formats(project: Project) -> list[tuple[str, str]]:
    """The formats this project's kind allows (TRL preference pairs need a compare project)."""
    return [
        (value, label)
        for value, label in Export.Format.choices
        if value != Export.Format.TRL or project.kind == Project.Kind.COMPARE
    ]


def _filters_words(filters: dict) -> list[str]:
    words = ["rejected kept" if filters.get("include_rejected") else "rejected left out"]
    if filters.get("accepted_only"):
        words.append("accepted only")
    if filters.get("min_score") is not None:
        words.append(f"score ≥ {filters['min_score']:g}")
    if filters.get("exclude_flagged"):
        words.append("flagged left out")
    if filters.get(VERSIONS):
        words.append("without guideline v" + ", v".join(map(str, filters[VERSIONS])))
    return words


def _past(project: Project, *, outcome: dict) -> list[Export]:
    exports = list(
        project.exports.order_by("-created_at", "-id").select_related("created_by").prefetch_related("outcomes")[:SHOWN]
    )
    for export in exports:
        refused = outcome.get("uid") == str(export.uid)
        export.outcome_typed = outcome["typed"] if refused else {}
        export.outcome_errors = outcome["errors"] if refused else {}
        export.filters_words = _filters_words(export.filters if isinstance(export.filters, dict) else {})
        left_out = export.left_out if isinstance(export.left_out, dict) else {}
        export.left_out_words = [(LEFT_OUT_WORDS.get(reason, reason), n) for reason, n in left_out.items()]
        export.download_url = reverse("api-export-download", kwargs={"uid": export.uid})
    return exports


def _page(request: HttpRequest, project: Project, *, typed=None, errors=None, outcome=None, status=200):
    typed = typed or {"format": Export.Format.JSONL, VERSIONS: []}
    context = {
        "project": project,
        "formats": _formats(project),
        "versions": list(project.guideline_versions.order_by("number").values_list("number", flat=True)),
        "typed": typed,
        "errors": errors or {},
        "outcome_fields": OUTCOME_FIELDS,
        # outcome: {"uid", "typed", "errors"} of a refused outcome report, shown on its export
        "exports": _past(project, outcome=outcome or {}),
        "made": request.GET.get("made", ""),
    }
    return render(request, "annotations/exports.html", context, status=status)


def _messages(exc: ValidationError) -> dict[str, str]:
    return {key: " ".join(value) for key, value in exc.message_dict.items()}


@login_required
@require_http_methods(["GET", "POST"])
def project_exports(request: HttpRequest, project_id: int) -> HttpResponse:
    """GET: the page. POST action=export: make one, then come back to download it; action=outcome:
    report a model result against one of this project's exports."""
    project = access.project_or_404(request.user, project_id, access.MANAGE, active_only=False)
    if request.method == "GET":
        return _page(request, project)
    here = reverse("annotations:project_exports", args=[project.pk])
    if request.POST.get("action") == "outcome":
        return _report_outcome(request, project, here=here)
    typed = {field: request.POST[field] for field in FILTER_FIELDS if field in request.POST}
    typed[VERSIONS] = request.POST.getlist(VERSIONS)
    typed["format"] = request.POST.get("format") or Export.Format.JSONL
    filters = {key: value for key, value in typed.items() if key != "format"}
    try:
        export = export_create(project=project, fmt=typed["format"], user=request.user, filters=filters)
    except ValidationError as exc:
        return _page(request, project, typed=typed, errors=_messages(exc), status=400)
    return redirect(f"{here}?made={export.uid}#export-{export.uid}")


def _report_outcome(request: HttpRequest, project: Project, *, here: str) -> HttpResponse:
    uid = request.POST.get("export", "")
    try:
        export = project.exports.filter(uid=uid).first()
    except ValidationError:  # not a uid at all
        export = None
    if export is None:
        raise Http404("No such export of this project.")
    typed = {field: request.POST.get(field, "") for field, _, _ in OUTCOME_FIELDS}
    try:
        unshowable = {f: f"{f} {problem}." for f in ("metric", "notes") if (problem := text_problem(typed[f]))}
        if unshowable:  # the service stores text as given: what cannot be stored is refused here
            raise ValidationError(unshowable)
        outcome_report_create(
            export=export,
            metric=typed["metric"],
            value=typed["value"],
            baseline=typed["baseline"] or None,
            notes=typed["notes"],
            user=request.user,
        )
    except ValidationError as exc:
        refused = {"uid": str(export.uid), "typed": typed, "errors": _messages(exc)}
        return _page(request, project, outcome=refused, status=400)
    messages.success(request, f"Outcome {typed['metric'].strip()} reported against export {export.uid}.")
    return redirect(f"{here}#export-{export.uid}")

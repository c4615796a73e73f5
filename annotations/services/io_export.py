"""Exports: JSONL with provenance, CSV, and TRL preference pairs; streamed chunk by chunk.

An export is recorded first (Export + one ExportItem per annotation, with the version it holds and
the review status it was chosen under), then streamed from that record, so what was written is
exactly what outcomes are reported against, however often it is downloaded.

Review status. Each row says how the version it holds was reviewed: `review_status` is `rejected`
if any review of that version rejected it, else `revise` if any asked for a revision, else
`accepted` if it has reviews (all accepting), else `unreviewed`; `review_verdicts` lists the
verdicts oldest first; `review_score` is the mean over those reviews of each review's weighted mean
score (weights from the rubric dimensions' `weight`, on the rubric's own scale), or None. A dimension
scored n/a (None: it does not apply to that work) is left out and the mean is re-weighted over the
dimensions that apply: {accuracy: 4 (weight 2), rationale: n/a (weight 1)} scores 4.0, not 8/3.

Filters (export_filters_clean; recorded on Export.filters with their defaults): rejected work is
left out unless `include_rejected`; `accepted_only`; `min_score` (work without a score is left out
as `unscored`); `exclude_flagged` (the telemetry flags the "export_provenance" hook reports; work
whose signals were never computed is not counted as flagged); `exclude_guideline_versions`. TRL
also leaves out ties. Export.left_out counts each left-out annotation once, under the first reason
in LEFT_OUT_REASONS that applies.

Text that cannot be encoded (a lone UTF-16 surrogate stored before every entrance refused it):
JSONL and TRL write it escaped (JSON's own `\\udXXX` escape, so a JSON reader gets back exactly what
was stored); CSV has no escape, so such a cell fails the export with a reason naming the annotation
and the column. Any failure while streaming marks the export failed with the reason (Export.state,
Export.failure) and raises ExportFailed; `export_download` (HTTP) ends the download with a last
line that says so (`{"export_failed": {...}}`, or a CSV row whose first cell is `#export failed`)
instead of raising: once a response has started, an application error under daphne leaves the
connection open (the client would wait forever), and ASGI has no message that aborts a response.
A later download that completes clears the failure.

CSV cells that begin with =, +, -, @, a tab or a carriage return are written with a leading single
quote (csv_cell), so a spreadsheet shows them as text and never runs them as formulas.
"""

import csv
import io
import json
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Prefetch

from annotations import hooks
from annotations.inputs import InputError, boolean_check, integer_check, number_check, text_problem
from annotations.models import (
    Adjudication,
    Annotation,
    AnnotationVersion,
    Export,
    ExportItem,
    GuidelineVersion,
    OutcomeReport,
    Project,
    Review,
    RubricDimension,
)

logger = logging.getLogger(__name__)

CHUNK = 500
FORMATS = tuple(Export.Format.values)
FILTER_DEFAULTS = {
    "include_rejected": False,
    "accepted_only": False,
    "min_score": None,
    "exclude_flagged": False,
    "exclude_guideline_versions": [],
}
MAX_MIN_SCORE = 1000  # rubric scales are small whole numbers; anything above is a typo
LEFT_OUT_REASONS = ("tie", "rejected", "not_accepted", "unscored", "below_min_score", "flagged", "guideline_version")
FAILURE_LIMIT = 2000


class ExportFailed(Exception):
    """The export could not be streamed to its end; str(exc) is the reason recorded on the Export."""


def _submitted(project: Project):
    return Annotation.objects.filter(task__project=project, state=Annotation.State.SUBMITTED)


def _named(key) -> str:
    """A filter name as it may be shown back (no unencodable text, no novel)."""
    key = str(key)
    key = repr(key) if text_problem(key) else key
    return key if len(key) <= 40 else key[:40] + "…"


def export_filters_clean(*, project: Project, raw) -> dict:
    """Every filter checked and named when wrong; the answer holds every filter (defaults filled in)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ValidationError({"filters": 'Filters must be an object, e.g. {"accepted_only": true}.'})
    unknown = sorted(_named(key) for key in raw if key not in FILTER_DEFAULTS)
    if unknown:
        raise ValidationError(
            {"filters": f"Unknown filter(s): {', '.join(unknown)}; use {', '.join(sorted(FILTER_DEFAULTS))}."}
        )
    clean = {**FILTER_DEFAULTS, "exclude_guideline_versions": []}
    errors: dict[str, str] = {}
    for field in ("include_rejected", "accepted_only", "exclude_flagged"):
        if field in raw:
            try:
                clean[field] = boolean_check(raw[field], field=field)
            except InputError as exc:
                errors[field] = str(exc)
    if raw.get("min_score") not in (None, ""):
        try:
            clean["min_score"] = number_check(raw["min_score"], field="min_score", minimum=0, maximum=MAX_MIN_SCORE)
        except InputError as exc:
            errors["min_score"] = str(exc)
    versions = raw.get("exclude_guideline_versions")
    if versions not in (None, "", []):
        field = "exclude_guideline_versions"
        if isinstance(versions, str):
            versions = [v for v in versions.split(",") if v.strip()]
        elif not isinstance(versions, list):
            versions = [versions]
        try:
            numbers = sorted({integer_check(v, field=field, minimum=1) for v in versions[:1000]})
            have = set(GuidelineVersion.objects.filter(project=project).values_list("number", flat=True))
            missing = [n for n in numbers if n not in have]
            if missing:
                shown = ", ".join(map(str, sorted(have))) or "none yet"
                raise InputError(
                    f"{field}: {project.slug} has no guideline version {', '.join(map(str, missing))} (it has {shown})."
                )
            clean[field] = numbers
        except InputError as exc:
            errors[field] = str(exc)
    if errors:
        raise ValidationError(errors)
    return clean


# --- Review status ------------------------------------------------------------------------


def _rubric_weights(project: Project) -> dict[int, dict[str, float]]:
    weights: dict[int, dict[str, float]] = defaultdict(dict)
    for rubric_id, key, weight in RubricDimension.objects.filter(rubric__project=project).values_list(
        "rubric_id", "key", "weight"
    ):
        weights[rubric_id][key] = weight
    return weights


def _weighted(scores, dims: dict[str, float] | None) -> float | None:
    """One review's weighted mean score over the dimensions that apply: n/a (None) and dimensions its
    rubric does not know are left out, and the weights re-normalised over the rest; None if none apply."""
    if not isinstance(scores, dict):
        return None
    pairs = [
        ((dims or {}).get(key, 1.0), value)
        for key, value in scores.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and (not dims or key in dims)
    ]
    total = sum(weight for weight, _ in pairs)
    if not pairs or total <= 0:
        return None
    value = sum(weight * score for weight, score in pairs) / total
    return value if math.isfinite(value) else None


def review_summary(reviews: list[tuple[str, dict, int | None]], weights: dict) -> tuple[str, list[str], float | None]:
    """(status, verdicts, weighted score) of one version from its reviews [(verdict, scores, rubric id)]."""
    verdicts = [verdict for verdict, _, _ in reviews]
    if Review.Verdict.REJECT in verdicts:
        status = ExportItem.ReviewStatus.REJECTED
    elif Review.Verdict.REVISE in verdicts:
        status = ExportItem.ReviewStatus.REVISE
    elif verdicts:
        status = ExportItem.ReviewStatus.ACCEPTED
    else:
        status = ExportItem.ReviewStatus.UNREVIEWED
    scores = [s for _, scores, rubric in reviews if (s := _weighted(scores, weights.get(rubric))) is not None]
    score = round(sum(scores) / len(scores), 4) if scores else None
    return str(status), verdicts, score


def _left_out_reason(*, filters: dict, status: str, score, flagged: bool, guideline: int | None) -> str | None:
    if status == ExportItem.ReviewStatus.REJECTED and not filters["include_rejected"]:
        return "rejected"
    if filters["accepted_only"] and status != ExportItem.ReviewStatus.ACCEPTED:
        return "not_accepted"
    if filters["min_score"] is not None:
        if score is None:
            return "unscored"
        if score < filters["min_score"]:
            return "below_min_score"
    if filters["exclude_flagged"] and flagged:
        return "flagged"
    if guideline is not None and guideline in filters["exclude_guideline_versions"]:
        return "guideline_version"
    return None


def export_create(*, project: Project, fmt: str, user=None, filters: dict | None = None) -> Export:
    """Record which annotations, at which version and review status, the export holds, after the
    filters (checked first: a ValidationError names each bad one); what they left out is counted.

    The new Export carries `skipped_ties` (not stored; also in left_out["tie"]): ties TRL left out."""
    if not isinstance(fmt, str) or fmt not in FORMATS:
        shown = _named(fmt) if isinstance(fmt, str) else repr(fmt)[:40]
        raise ValidationError({"format": f"Unknown format {shown!r}; use one of {', '.join(FORMATS)}."})
    if fmt == Export.Format.TRL and project.kind != Project.Kind.COMPARE:
        raise ValidationError(
            {"format": f"TRL preference pairs need a compare project; {project.slug} is a {project.kind} project."}
        )
    clean = export_filters_clean(project=project, raw=filters)
    candidates = _submitted(project)
    left_out: Counter = Counter()
    if fmt == Export.Format.TRL:
        left_out["tie"] = candidates.filter(result__overall__choice="tie").count()
        candidates = candidates.exclude(result__overall__choice="tie")
    weights = _rubric_weights(project)
    verdicts_field = ExportItem._meta.get_field("review_verdicts")
    quote = connection.ops.quote_name
    columns = ("export_id", "annotation_id", "annotation_version", "review_status", "review_verdicts", "review_score")
    insert = (
        f"INSERT INTO {quote(ExportItem._meta.db_table)} ({', '.join(map(quote, columns))}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    count = 0
    with transaction.atomic():
        export = Export.objects.create(project=project, format=fmt, created_by=user, filters=clean)
        last = 0
        while True:  # keyset chunks: constant memory, a fixed number of queries per chunk
            chunk = list(
                candidates.filter(id__gt=last)
                .order_by("id")
                .values_list("id", "version", "guideline_version__number")[:CHUNK]
            )
            if not chunk:
                break
            last = chunk[-1][0]
            ids = [annotation_id for annotation_id, _, _ in chunk]
            reviews = defaultdict(list)
            for annotation_id, number, verdict, scores, rubric_id in (
                # The chunk's id range (an IN list of 500 ids costs more to build than to run).
                Review.objects.filter(
                    annotation__task__project=project, annotation_id__gte=ids[0], annotation_id__lte=last
                )
                .order_by("created_at", "id")
                .values_list("annotation_id", "annotation_version", "verdict", "scores", "rubric_id")
            ):
                reviews[(annotation_id, number)].append((verdict, scores, rubric_id))
            flags = {}
            if clean["exclude_flagged"]:  # the hook reads the annotations' ids (telemetry/integration.py)
                flags = hooks.merged(hooks.EXPORT_PROVENANCE, annotations=[Annotation(pk=pk) for pk in ids])
            rows = []
            for annotation_id, number, guideline in chunk:
                status, verdicts, score = review_summary(reviews.get((annotation_id, number), []), weights)
                reason = _left_out_reason(
                    filters=clean,
                    status=status,
                    score=score,
                    flagged=bool((flags.get(annotation_id) or {}).get("flags")),
                    guideline=guideline,
                )
                if reason:
                    left_out[reason] += 1
                    continue
                held = verdicts_field.get_db_prep_save(verdicts, connection)
                rows.append((export.pk, annotation_id, number, status, held, score))
            if rows:
                # One statement for the chunk's rows (bulk_create costs ~10x more per row here).
                with connection.cursor() as cursor:
                    cursor.executemany(insert, rows)
            count += len(rows)
        recorded = {reason: left_out[reason] for reason in LEFT_OUT_REASONS if left_out[reason]}
        Export.objects.filter(pk=export.pk).update(annotation_count=count, left_out=recorded)
    export.annotation_count = count
    export.left_out = recorded
    export.skipped_ties = left_out["tie"]
    return export


# --- Rows -------------------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _chunks(*, export: Export, chunk_size: int) -> Iterator[list[tuple[Annotation, AnnotationVersion | None, dict]]]:
    """The export's annotations chunk by chunk (keyset paging), each with the version it holds and
    the review status it was recorded with; a fixed number of queries per chunk whatever its size."""
    last = 0
    while True:
        items = list(
            ExportItem.objects.filter(export=export, id__gt=last)
            .order_by("id")
            .values_list(
                "id", "annotation_id", "annotation_version", "review_status", "review_verdicts", "review_score"
            )[:chunk_size]
        )
        if not items:
            return
        last = items[-1][0]
        ids = [item[1] for item in items]
        annotations = Annotation.objects.filter(pk__in=ids).select_related("task", "guideline_version")
        if export.format == Export.Format.JSONL:
            annotations = annotations.prefetch_related(
                Prefetch("reviews", queryset=Review.objects.select_related("guideline_version").order_by("created_at")),
                Prefetch("task__adjudications", queryset=Adjudication.objects.order_by("created_at")),
            )
        by_id = {a.pk: a for a in annotations}
        versions = {
            (v.annotation_id, v.number): v
            for v in AnnotationVersion.objects.filter(annotation_id__in=ids).select_related("guideline_version")
        }
        yield [
            (
                by_id[a],
                versions.get((a, number)),
                {"review_status": status, "review_verdicts": verdicts or [], "review_score": score},
            )
            for _, a, number, status, verdicts, score in items
            if a in by_id
        ]


def _held(annotation: Annotation, version: AnnotationVersion | None) -> tuple[dict, int | None, str | None, int]:
    """Result, guideline number, submitted time and version number as held by the export."""
    if version is not None:
        guideline = version.guideline_version.number if version.guideline_version else None
        return version.result, guideline, _iso(version.submitted_at), version.number
    guideline = annotation.guideline_version.number if annotation.guideline_version else None
    return annotation.result, guideline, _iso(annotation.submitted_at), annotation.version


def jsonl_row(*, export: Export, annotation: Annotation, version, extra: dict, review: dict) -> dict:
    task = annotation.task
    result, guideline, submitted_at, number = _held(annotation, version)
    row = {
        "export": str(export.uid),
        "annotation_id": annotation.pk,
        "task_id": task.pk,
        "task_external_id": task.external_id,
        "annotator_id": annotation.annotator_id,
        "guideline_version": guideline,
        "version": number,
        **review,
        "result": result,
        "left_response": annotation.left_response or None,
        "task": {
            "payload": task.payload,
            "references": task.references,
            "domain_tags": task.domain_tags,
            "difficulty": task.difficulty,
            "model_uncertainty": task.model_uncertainty,
            "batch": task.batch,
            "gold_answer": task.gold_answer,
        },
        "timings": {
            "started_at": _iso(annotation.started_at),
            "submitted_at": submitted_at,
            "active_seconds": annotation.active_seconds,
        },
        "reviews": [
            {
                "reviewer_id": r.reviewer_id,
                "verdict": r.verdict,
                "scores": r.scores,
                "exemplary": r.exemplary,
                "feedback": r.feedback,
                "guideline_version": r.guideline_version.number if r.guideline_version else None,
                "annotation_version": r.annotation_version,
                "seconds_spent": r.seconds_spent,
                "created_at": _iso(r.created_at),
            }
            for r in annotation.reviews.all()
        ],
        "adjudications": [
            {
                "adjudicator_id": a.adjudicator_id,
                "final_result": a.final_result,
                "reasoning": a.reasoning,
                "source": a.source,
                "created_at": _iso(a.created_at),
            }
            for a in task.adjudications.all()
        ],
    }
    for key, value in (extra or {}).items():
        row.setdefault(key, value)  # provenance from higher layers (signals, flags) never overwrites ours
    return row


def trl_row(*, export: Export, annotation: Annotation, version, review: dict) -> dict:
    """One preference pair in TRL's explicit-prompt standard format, plus our margin and dimensions."""
    result, guideline, _, number = _held(annotation, version)
    payload = annotation.task.payload
    overall = result["overall"]
    chosen = overall["choice"]
    rejected = "b" if chosen == "a" else "a"

    def relative(pref: dict) -> dict:
        if pref["choice"] == "tie":
            return {"preferred": "tie", "strength": 0}
        return {"preferred": "chosen" if pref["choice"] == chosen else "rejected", "strength": pref["strength"]}

    return {
        "prompt": payload.get("prompt", ""),
        "chosen": payload.get(f"response_{chosen}", ""),
        "rejected": payload.get(f"response_{rejected}", ""),
        "margin": overall["strength"],
        "dimensions": {key: relative(pref) for key, pref in (result.get("dimensions") or {}).items()},
        "chosen_response": chosen,
        "annotation_id": annotation.pk,
        "task_id": annotation.task_id,
        "annotator_id": annotation.annotator_id,
        "guideline_version": guideline,
        "version": number,
        **review,
    }


def csv_header(*, project: Project) -> list[str]:
    head = ["annotation_id", "task_id", "task_external_id", "annotator_id", "guideline_version", "version"]
    head += ["started_at", "submitted_at", "active_seconds", "difficulty", "domain_tags"]
    head += ["review_status", "review_verdicts", "review_score"]
    if project.kind == Project.Kind.COMPARE:
        head += ["left_response", "overall", "overall_strength"]
        for dim in project.comparison_dimensions:
            head += [f"{dim['key']}", f"{dim['key']}_strength"]
        head += ["rationale"]
    elif project.kind == Project.Kind.CLASSIFY:
        head += ["label", "text"]
    else:
        head += ["text"]
    return head + ["result"]


def csv_row(*, project: Project, annotation: Annotation, version, review: dict) -> list:
    task = annotation.task
    result, guideline, submitted_at, number = _held(annotation, version)
    row = [annotation.pk, task.pk, task.external_id or "", annotation.annotator_id, guideline, number]
    row += [_iso(annotation.started_at), submitted_at, annotation.active_seconds, task.difficulty]
    row += [";".join(map(str, task.domain_tags))]
    score = review["review_score"]
    row += [review["review_status"], ";".join(review["review_verdicts"]), "" if score is None else score]
    if project.kind == Project.Kind.COMPARE:
        overall = result.get("overall") or {}
        row += [annotation.left_response, overall.get("choice", ""), overall.get("strength", "")]
        dims = result.get("dimensions") or {}
        for dim in project.comparison_dimensions:
            pref = dims.get(dim["key"]) or {}
            row += [pref.get("choice", ""), pref.get("strength", "")]
        row += [result.get("rationale", "")]
    elif project.kind == Project.Kind.CLASSIFY:
        label = ";".join(result["labels"]) if "labels" in result else result.get("label", "")
        row += [label, result.get("text", "")]
    else:
        row += [result.get("text", "")]
    return row + [_json_text(result)]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A CSV cell a spreadsheet shows as text: one that begins like a formula gets a leading quote.
    Numbers we computed are written as numbers (they cannot hold a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv_cells(row: list, *, header: list[str], annotation_id) -> list:
    cells = []
    for name, value in zip(header, row, strict=True):
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                where = f"annotation {annotation_id}: " if annotation_id is not None else ""
                raise ExportFailed(f"{where}the {name} column {problem}; CSV cannot hold it (repair the stored text).")
        cells.append(csv_cell(value))
    return cells


def _json_text(value) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    if text_problem(text):  # a lone surrogate: JSON's \\udXXX escape writes it losslessly
        text = json.dumps(value, ensure_ascii=True, default=str)
    return text


def _json_line(row: dict) -> str:
    return _json_text(row) + "\n"


def _pieces(*, export: Export, chunk_size: int) -> Iterator[str]:
    project = export.project
    if export.format == Export.Format.CSV:
        header = csv_header(project=project)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(_csv_cells(header, header=header, annotation_id=None))
        yield buffer.getvalue()
    for chunk in _chunks(export=export, chunk_size=chunk_size):
        if export.format == Export.Format.CSV:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            try:
                for a, v, review in chunk:
                    row = csv_row(project=project, annotation=a, version=v, review=review)
                    writer.writerow(_csv_cells(row, header=header, annotation_id=a.pk))
            except ExportFailed:
                if buffer.getvalue():
                    yield buffer.getvalue()  # the rows before the one that cannot be written
                raise
            yield buffer.getvalue()
            continue
        if export.format == Export.Format.TRL:
            rows = [trl_row(export=export, annotation=a, version=v, review=review) for a, v, review in chunk]
        else:
            extra = hooks.merged(hooks.EXPORT_PROVENANCE, annotations=[a for a, _, _ in chunk])
            rows = [
                jsonl_row(export=export, annotation=a, version=v, extra=extra.get(a.pk), review=review)
                for a, v, review in chunk
            ]
        yield "".join(_json_line(r) for r in rows)


def _reason(exc: BaseException) -> str:
    reason = str(exc) if isinstance(exc, ExportFailed) else f"{type(exc).__name__}: {exc}"
    # Stored and shown as it is: nothing unencodable, nothing PostgreSQL refuses, a bounded length.
    reason = reason.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return reason if len(reason) <= FAILURE_LIMIT else reason[: FAILURE_LIMIT - 1] + "…"


def export_fail(*, export: Export, reason: str) -> None:
    """Mark the export failed with the reason (its API detail shows it)."""
    export.state, export.failure = Export.State.FAILED, reason
    try:
        Export.objects.filter(pk=export.pk).update(state=Export.State.FAILED, failure=reason)
    except Exception:  # a broken connection or transaction: the stream still ends, the log says why
        logger.exception("export %s failed (%s) and could not be marked failed", export.uid, reason)


def export_stream(*, export: Export, chunk_size: int = CHUNK) -> Iterator[str]:
    """The export's file, one piece of text per chunk of annotations (constant memory); every piece
    encodes as UTF-8. A failure marks the export failed and raises ExportFailed with the reason."""
    try:
        yield from _pieces(export=export, chunk_size=chunk_size)
    except Exception as exc:
        reason = _reason(exc)
        export_fail(export=export, reason=reason)
        raise ExportFailed(reason) from exc
    if Export.objects.filter(pk=export.pk, state=Export.State.FAILED).update(state=Export.State.READY, failure=""):
        export.state, export.failure = Export.State.READY, ""


def _failure_line(*, export: Export, reason: str) -> str:
    if export.format == Export.Format.CSV:
        buffer = io.StringIO()
        csv.writer(buffer).writerow(["#export failed", csv_cell(reason)])
        return buffer.getvalue()
    return json.dumps({"export_failed": {"export": str(export.uid), "reason": reason}}) + "\n"


def export_download(*, export: Export, chunk_size: int = CHUNK) -> Iterator[bytes]:
    """The export's file as UTF-8 bytes for an HTTP download; never raises. After a failure the
    download ends with a last line that says so (see the module docstring) and the export is failed."""
    try:
        for piece in export_stream(export=export, chunk_size=chunk_size):
            yield piece.encode("utf-8")
        return
    except ExportFailed as exc:
        reason = str(exc)
    except Exception as exc:  # after the stream (encoding): still end the download, still record why
        reason = _reason(exc)
        export_fail(export=export, reason=reason)
    yield _failure_line(export=export, reason=reason).encode("utf-8")


def export_rows(*, export: Export, chunk_size: int = CHUNK) -> Iterator[dict]:
    """The JSONL/TRL rows of an export as dicts (for tests and callers that post-process)."""
    for piece in export_stream(export=export, chunk_size=chunk_size):
        for line in piece.splitlines():
            yield json.loads(line)


# --- Outcomes -------------------------------------------------------------------------


def _finite(value, *, field: str, required: bool, errors: dict) -> float | None:
    if value in (None, ""):
        if required:
            errors[field] = f"{field} is required."
        return None
    try:
        return number_check(value, field=field)
    except InputError as exc:
        errors[field] = str(exc)
        return None


def outcome_report_create(*, export: Export, metric, value, baseline=None, notes="", user=None) -> OutcomeReport:
    """A model result reported against an export; every field is checked and named when wrong."""
    errors: dict[str, str] = {}
    if not isinstance(metric, str) or not metric.strip():
        errors["metric"] = "metric is required (e.g. 'reward_model_accuracy')."
    elif len(metric.strip()) > 200:
        errors["metric"] = f"metric is {len(metric.strip())} characters; the limit is 200."
    clean_value = _finite(value, field="value", required=True, errors=errors)
    clean_baseline = _finite(baseline, field="baseline", required=False, errors=errors)
    if notes is None:
        notes = ""
    if not isinstance(notes, str):
        errors["notes"] = "notes must be text."
    elif len(notes) > 10_000:
        errors["notes"] = f"notes are {len(notes)} characters; the limit is 10000."
    for name, text in (("metric", metric), ("notes", notes)):
        problem = text_problem(text) if isinstance(text, str) and name not in errors else None
        if problem:
            errors[name] = f"{name} {problem}."
    if errors:
        raise ValidationError(errors)
    outcome = OutcomeReport.objects.create(
        export=export,
        metric=metric.strip(),
        value=clean_value,
        baseline=clean_baseline,
        notes=notes,
        reported_by=user,
    )
    hooks.on_commit(hooks.OUTCOME_REPORTED, outcome=outcome)
    return outcome

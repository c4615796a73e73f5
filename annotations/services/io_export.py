"""Exports: JSONL with provenance, CSV, and TRL preference pairs; streamed chunk by chunk.

An export is recorded first (Export + one ExportItem per annotation, with the version it holds),
then streamed from that record, so what was written is exactly what outcomes are reported against.
"""

import csv
import io
import json
import math
from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Prefetch

from annotations import hooks
from annotations.models import (
    Adjudication,
    Annotation,
    AnnotationVersion,
    Export,
    ExportItem,
    OutcomeReport,
    Project,
    Review,
)

CHUNK = 500
FORMATS = tuple(Export.Format.values)


def _submitted(project: Project):
    return Annotation.objects.filter(task__project=project, state=Annotation.State.SUBMITTED)


def export_create(*, project: Project, fmt: str, user=None) -> Export:
    """Record which annotations, at which version, the export holds; ties are left out of TRL.

    The new Export carries `skipped_ties` (not stored): how many tie preferences TRL left out."""
    if fmt not in FORMATS:
        raise ValidationError({"format": f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}."})
    if fmt == Export.Format.TRL and project.kind != Project.Kind.COMPARE:
        raise ValidationError(
            {"format": f"TRL preference pairs need a compare project; {project.slug} is a {project.kind} project."}
        )
    held = _submitted(project)
    skipped_ties = 0
    if fmt == Export.Format.TRL:
        skipped_ties = held.filter(result__overall__choice="tie").count()
        held = held.exclude(result__overall__choice="tie")
    # INSERT ... SELECT: the database copies the ids, nothing is held in memory.
    select_sql, params = held.order_by("id").values_list("id", "version").query.sql_with_params()
    quote = connection.ops.quote_name
    table = quote(ExportItem._meta.db_table)
    with transaction.atomic():
        export = Export.objects.create(project=project, format=fmt, created_by=user)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({quote('annotation_id')}, {quote('annotation_version')}, {quote('export_id')}) "
                f"SELECT held.{quote('id')}, held.{quote('version')}, %s FROM ({select_sql}) held",
                [export.pk, *params],
            )
        count = ExportItem.objects.filter(export=export).count()
        Export.objects.filter(pk=export.pk).update(annotation_count=count)
    export.annotation_count = count
    export.skipped_ties = skipped_ties
    return export


# --- Rows -------------------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _chunks(*, export: Export, chunk_size: int) -> Iterator[list[tuple[Annotation, AnnotationVersion | None]]]:
    """The export's annotations chunk by chunk (keyset paging), each with the version it holds;
    a fixed number of queries per chunk whatever its size."""
    last = 0
    while True:
        items = list(
            ExportItem.objects.filter(export=export, id__gt=last)
            .order_by("id")
            .values_list("id", "annotation_id", "annotation_version")[:chunk_size]
        )
        if not items:
            return
        last = items[-1][0]
        ids = [a for _, a, _ in items]
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
        yield [(by_id[a], versions.get((a, number))) for _, a, number in items if a in by_id]


def _held(annotation: Annotation, version: AnnotationVersion | None) -> tuple[dict, int | None, str | None, int]:
    """Result, guideline number, submitted time and version number as held by the export."""
    if version is not None:
        guideline = version.guideline_version.number if version.guideline_version else None
        return version.result, guideline, _iso(version.submitted_at), version.number
    guideline = annotation.guideline_version.number if annotation.guideline_version else None
    return annotation.result, guideline, _iso(annotation.submitted_at), annotation.version


def jsonl_row(*, export: Export, annotation: Annotation, version, extra: dict) -> dict:
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


def trl_row(*, export: Export, annotation: Annotation, version) -> dict:
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
    }


def csv_header(*, project: Project) -> list[str]:
    head = ["annotation_id", "task_id", "task_external_id", "annotator_id", "guideline_version", "version"]
    head += ["started_at", "submitted_at", "active_seconds", "difficulty", "domain_tags"]
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


def csv_row(*, project: Project, annotation: Annotation, version) -> list:
    task = annotation.task
    result, guideline, submitted_at, number = _held(annotation, version)
    row = [annotation.pk, task.pk, task.external_id or "", annotation.annotator_id, guideline, number]
    row += [_iso(annotation.started_at), submitted_at, annotation.active_seconds, task.difficulty]
    row += [";".join(task.domain_tags)]
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
    return row + [json.dumps(result, ensure_ascii=False)]


def export_stream(*, export: Export, chunk_size: int = CHUNK) -> Iterator[str]:
    """The export's file, one piece of text per chunk of annotations (constant memory)."""
    project = export.project
    if export.format == Export.Format.CSV:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(csv_header(project=project))
        yield buffer.getvalue()
    for chunk in _chunks(export=export, chunk_size=chunk_size):
        if export.format == Export.Format.CSV:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerows(csv_row(project=project, annotation=a, version=v) for a, v in chunk)
            yield buffer.getvalue()
            continue
        if export.format == Export.Format.TRL:
            rows = [trl_row(export=export, annotation=a, version=v) for a, v in chunk]
        else:
            extra = hooks.merged("export_provenance", annotations=[a for a, _ in chunk])
            rows = [jsonl_row(export=export, annotation=a, version=v, extra=extra.get(a.pk)) for a, v in chunk]
        yield "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows)


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
    if isinstance(value, bool):
        errors[field] = f"{field} must be a number."
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors[field] = f"{field} must be a number, not {value!r}."
        return None
    if not math.isfinite(number):
        errors[field] = f"{field} must be a finite number."
        return None
    return number


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
    if errors:
        raise ValidationError(errors)
    return OutcomeReport.objects.create(
        export=export,
        metric=metric.strip(),
        value=clean_value,
        baseline=clean_baseline,
        notes=notes,
        reported_by=user,
    )

"""Telemetry reads: revision replay and the evidence shown to reviewers and exports."""

import logging

from django.db.models import Func, IntegerField, OuterRef, QuerySet, Subquery

from annotations.inputs import text_repair
from annotations.json_filters import json_list_has
from annotations.models import Annotation, AnnotationVersion
from telemetry.flags import LABELS
from telemetry.models import AnnotationSignals, Event
from telemetry.signals import INSTRUMENTED_FIELDS, signals_evaluate, signals_split
from telemetry.summary import (
    diff_marked,
    evidence_summary,
    flag_values,
    marked_segments,
    paste_spans,
    project_typical_ranges,
    signal_table,
    version_changes,
)
from telemetry.textdiff import text_diff

logger = logging.getLogger(__name__)


def revision_replay(*, annotation: Annotation) -> list[dict]:
    """The text snapshots of an annotation in the order they were taken, each with its diff to the
    previous snapshot of the same field: [{"seq", "session", "t", "field", "why", "text", "diff",
    "inserted", "deleted"}], where diff is [{"op": "equal"|"insert"|"delete", "text"}] and the first
    snapshot of a field is diffed against the empty text. One query."""
    rows = (
        Event.objects.filter(session__annotation=annotation, kind="rev")
        .order_by("session__created_at", "session_id", "seq")
        .values_list("session_id", "seq", "t", "data")
    )
    previous: dict[str, str] = {}
    session_numbers: dict = {}
    replay = []
    for session_id, seq, t, data in rows:
        text = data.get("text")
        if not isinstance(text, str):
            continue
        # Snapshots stored before their entrance refused lone surrogates and NULs: shown repaired.
        text = text_repair(text)
        field = text_repair(str(data.get("field", "")))
        diff = [{"op": op, "text": part} for op, part in text_diff(previous.get(field, ""), text)]
        previous[field] = text
        replay.append(
            {
                "seq": seq,
                "session": session_numbers.setdefault(session_id, len(session_numbers) + 1),
                "t": t,
                "field": field,
                "why": text_repair(str(data.get("why", ""))),
                "text": text,
                "diff": diff,
                "inserted": sum(len(d["text"]) for d in diff if d["op"] == "insert"),
                "deleted": sum(len(d["text"]) for d in diff if d["op"] == "delete"),
            }
        )
    return replay


def export_provenance(*, annotations: list) -> dict:
    """{annotation id: {"signals", "flags", "signals_undefined"}} for a batch, in one query (merged
    into each JSONL row). An annotation whose signals were never computed gets None values (not
    computed), never empty ones."""
    ids = [a.pk for a in annotations]
    out = {pk: {"signals": None, "flags": None, "signals_undefined": None} for pk in ids}
    for row in AnnotationSignals.objects.filter(annotation_id__in=ids).only("annotation_id", "features", "flags"):
        features, undefined = signals_split(row)
        out[row.annotation_id] = {"signals": features, "flags": row.flags, "signals_undefined": undefined}
    return out


def _pasted_text(*, annotation: Annotation, replay: list[dict]) -> list[dict]:
    """Where pasted text landed: [{"field", "segments": [{"text", "src"}], "pasted"}] for each written
    field of the result; each replay snapshot gets its diff split at pasted stretches and its whole
    text as "marked" segments. One query (input, paste and rev events)."""
    rows = (
        Event.objects.filter(session__annotation=annotation, kind__in=("input", "paste", "rev"))
        .order_by("session__created_at", "session_id", "seq")
        .values_list("session_id", "seq", "kind", "data")
    )
    final, at_snapshots = paste_spans({"session": s, "seq": q, "kind": k, "data": d} for s, q, k, d in rows)
    for snapshot, spans in zip(replay, at_snapshots, strict=False):
        snapshot["diff"] = diff_marked(snapshot["diff"], spans)
        snapshot["marked"] = marked_segments(snapshot["text"], spans)
    result = annotation.result if isinstance(annotation.result, dict) else {}
    out = []
    for name in INSTRUMENTED_FIELDS:
        text = result.get(name)
        if isinstance(text, str) and text:
            segments = marked_segments(text, final.get(name, []))
            out.append({"field": name, "segments": segments, "pasted": any(s["src"] for s in segments)})
    return out


def review_evidence(*, annotation: Annotation) -> dict:
    """Signals, flags and the revision replay of one annotation, for the review console, with what a
    reviewer reads first: "summary" (a few signals in words beside the project's typical ranges),
    "table" (every signal rounded), "pasted_text" (the written text with pasted stretches marked)
    and "version_changes" (the diffs between submitted versions). A part that cannot be computed is
    left out and "failure" says why, for the reviewer to see."""
    failures = []
    features, undefined, flags, event_count = {}, {}, [], None
    row = AnnotationSignals.objects.filter(annotation=annotation).first()
    try:
        if row is not None:
            features, undefined = signals_split(row)
            flags, event_count = row.flags, row.event_count
        else:  # not stored yet (still a draft, or submitted before telemetry existed): compute, don't store
            computed = signals_evaluate(annotation=annotation)
            features, undefined = computed["features"], computed["undefined"]
            flags, event_count = computed["flags"], computed["event_count"]
    except Exception as exc:  # evidence is an aid: the review itself must stay possible
        logger.exception("signals of annotation %s could not be computed", annotation.pk)
        failures.append(f"Signals could not be computed from the stored events ({type(exc).__name__}: {exc}).")
    summary, table = None, []
    try:
        if features:
            references = [r for r in annotation.task.references or [] if isinstance(r, dict) and "id" in r]
            typical = project_typical_ranges(annotation=annotation)
            summary = evidence_summary(features=features, typical=typical, reference_count=len(references))
            table = [] if summary["no_events"] else signal_table(features=features, undefined=undefined)
        flags = flag_values(flags)
    except Exception as exc:
        logger.exception("evidence summary of annotation %s could not be built", annotation.pk)
        failures.append(f"The summary of the signals could not be built ({type(exc).__name__}: {exc}).")
    try:
        replay = revision_replay(annotation=annotation)
    except Exception as exc:
        logger.exception("revision replay of annotation %s could not be built", annotation.pk)
        failures.append(f"The revision replay could not be built ({type(exc).__name__}: {exc}).")
        replay = []
    pasted_text, changes = [], []
    try:
        pasted_text = _pasted_text(annotation=annotation, replay=replay)
        versions = list(AnnotationVersion.objects.filter(annotation=annotation).order_by("number"))
        changes = version_changes(versions, INSTRUMENTED_FIELDS)
    except Exception as exc:
        logger.exception("pasted text of annotation %s could not be located", annotation.pk)
        failures.append(f"Pasted text and version changes could not be marked ({type(exc).__name__}: {exc}).")
    return {
        "signals": features,
        "flags": flags,
        "undefined": undefined,
        "replay": replay,
        "event_count": event_count,
        "failure": text_repair(" ".join(failures)),
        "summary": summary,
        "table": table,
        "pasted_text": pasted_text,
        "version_changes": changes,
    }


# --- The review queue's flag filter and sort ----------------------------------------


def flag_names() -> dict[str, str]:
    """{flag code: its name in words} for every flag telemetry can raise ("paste_dominant": "Paste-dominant")."""
    return dict(LABELS)


def annotations_with_flag(*, flag: str) -> QuerySet:
    """Ids of the annotations whose stored signals carry the flag: a subquery the review queue filters
    on in SQL (`pk__in`) before it slices, so a rare flag is found anywhere in a long queue."""
    return AnnotationSignals.objects.filter(json_list_has("flags", flag, key="flag")).values("annotation_id")


class _JSONArrayLength(Func):
    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        function = "jsonb_array_length" if connection.vendor == "postgresql" else "json_array_length"
        return super().as_sql(compiler, connection, function=function, **extra_context)


def flag_count_of_annotation() -> Subquery:
    """How many flags an annotation (the outer query's row) carries; NULL without a signals row."""
    rows = AnnotationSignals.objects.filter(annotation=OuterRef("pk")).annotate(n=_JSONArrayLength("flags"))
    return Subquery(rows.values("n")[:1], output_field=IntegerField())

"""Telemetry reads: revision replay and the evidence shown to reviewers and exports."""

from annotations.models import Annotation
from telemetry.models import AnnotationSignals, Event
from telemetry.signals import signals_evaluate, signals_split
from telemetry.textdiff import text_diff


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
        field = str(data.get("field", ""))
        diff = [{"op": op, "text": part} for op, part in text_diff(previous.get(field, ""), text)]
        previous[field] = text
        replay.append(
            {
                "seq": seq,
                "session": session_numbers.setdefault(session_id, len(session_numbers) + 1),
                "t": t,
                "field": field,
                "why": data.get("why", ""),
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


def review_evidence(*, annotation: Annotation) -> dict:
    """Signals, flags and the revision replay of one annotation, for the review console."""
    row = AnnotationSignals.objects.filter(annotation=annotation).first()
    if row is not None:
        features, undefined = signals_split(row)
        flags, event_count = row.flags, row.event_count
    else:  # not stored yet (still a draft, or submitted before telemetry existed): compute, don't store
        computed = signals_evaluate(annotation=annotation)
        features, undefined = computed["features"], computed["undefined"]
        flags, event_count = computed["flags"], computed["event_count"]
    return {
        "signals": features,
        "flags": flags,
        "undefined": undefined,
        "replay": revision_replay(annotation=annotation),
        "event_count": event_count,
    }

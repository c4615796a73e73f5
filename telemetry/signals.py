"""Per-annotation signals: features and flags computed server-side from the stored events.

Computed when the annotation is submitted and again whenever late events reach a closed session,
so the stored row always reflects every event committed so far (docs/architecture.md).
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from annotations.models import Annotation
from telemetry.features import FeatureContext, features_compute
from telemetry.flags import flags_evaluate
from telemetry.models import AnnotationSignals, EditorSession, Event

# Fields of a result that instrumented editors write (write/classify: text; compare: rationale).
INSTRUMENTED_FIELDS = ("text", "rationale")
# Where the {feature: reason} dict for undefined features is kept inside AnnotationSignals.features.
UNDEFINED_KEY = "_undefined"


def feature_context(*, annotation: Annotation) -> FeatureContext:
    task = annotation.task
    result = annotation.result if isinstance(annotation.result, dict) else {}
    return FeatureContext(
        expected_minutes=task.project.expected_minutes,
        difficulty=task.difficulty,
        reference_ids=tuple(str(ref["id"]) for ref in task.references or [] if isinstance(ref, dict) and "id" in ref),
        final_texts={name: result[name] for name in INSTRUMENTED_FIELDS if isinstance(result.get(name), str)},
    )


def annotation_events(*, annotation: Annotation) -> list[dict]:
    """Every event of the annotation's sessions, session by session (oldest first), in seq order:
    one query."""
    rows = (
        Event.objects.filter(session__annotation=annotation)
        .order_by("session__created_at", "session_id", "seq")
        .values_list("session_id", "seq", "t", "kind", "data")
    )
    return [{"session": s, "seq": seq, "t": t, "kind": kind, "data": data} for s, seq, t, kind, data in rows]


def signals_evaluate(*, annotation: Annotation) -> dict:
    """Features, undefined reasons and flags, without storing them (also used for an annotation
    whose row has not been computed yet)."""
    events = annotation_events(annotation=annotation)
    features, undefined = features_compute(events, feature_context(annotation=annotation))
    features["events_missing"] = _events_missing(annotation=annotation, events=events)
    flags = flags_evaluate(features=features, overrides=annotation.task.project.flag_thresholds)
    return {"features": features, "undefined": undefined, "flags": flags, "event_count": len(events)}


def _events_missing(*, annotation: Annotation, events: list[dict]) -> int:
    """Seqs not (yet) stored below each session's final seq (or its highest stored seq)."""
    stored: dict = {}
    for event in events:
        stored.setdefault(event["session"], set()).add(event["seq"])
    missing = 0
    for session_id, final_seq in annotation.editor_sessions.values_list("id", "final_seq"):
        seqs = stored.get(session_id, set())
        upto = max(final_seq or 0, max(seqs, default=0))
        missing += upto - len([s for s in seqs if s <= upto])
    return missing


def annotation_signals_compute(*, annotation: Annotation) -> AnnotationSignals:
    """Compute and upsert the annotation's signal row.

    Events are never deleted, so a computation from fewer events is older news: the row is only
    overwritten by one computed from at least as many events (a submit's computation and a late
    frame's may run at once, and the one that read fewer events can finish last)."""
    computed = signals_evaluate(annotation=annotation)
    values = {
        "event_count": computed["event_count"],
        "features": {**computed["features"], UNDEFINED_KEY: computed["undefined"]},
        "flags": computed["flags"],
    }
    fresher = AnnotationSignals.objects.filter(annotation=annotation, event_count__lte=values["event_count"])
    if not fresher.update(**values, computed_at=timezone.now()):
        try:
            with transaction.atomic():
                return AnnotationSignals.objects.create(annotation=annotation, **values)
        except IntegrityError:  # created meanwhile, or already holds more events
            pass
    return AnnotationSignals.objects.get(annotation=annotation)


def signals_refresh_for_annotation(*, annotation_id: int) -> AnnotationSignals | None:
    """Recompute after late events, if the annotation is (still there and) submitted."""
    annotation = Annotation.objects.select_related("task__project").filter(pk=annotation_id).first()
    if annotation is None or annotation.state != Annotation.State.SUBMITTED:
        return None
    return annotation_signals_compute(annotation=annotation)


def signals_refresh_for_session(*, session: EditorSession) -> AnnotationSignals | None:
    """Recompute after events reached this session, if its annotation is already submitted."""
    return signals_refresh_for_annotation(annotation_id=session.annotation_id)


def signals_split(row: AnnotationSignals) -> tuple[dict, dict]:
    """(features, undefined reasons) of a stored row."""
    features = dict(row.features or {})
    undefined = features.pop(UNDEFINED_KEY, {})
    return features, undefined

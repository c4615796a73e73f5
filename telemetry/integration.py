"""What telemetry registers with annotations' hooks (see annotations/hooks.py)."""

import logging

from annotations import hooks

logger = logging.getLogger(__name__)


def editor_session(*, annotation, user) -> dict | None:
    """A fresh editor session for the form: {"url": websocket path, "salt": paste-hash salt}."""
    from telemetry.services import editor_session_open

    if not annotation.task.project.telemetry_enabled or annotation.annotator_id != user.pk:
        return None
    session = editor_session_open(annotation=annotation, user=user)
    return {"url": f"/ws/telemetry/{session.id}/", "salt": session.salt}


def annotation_submitted(*, annotation, final_seq) -> None:
    """Close the sessions, then compute signals from the events stored so far (late events
    recompute them through signals_refresh_for_session)."""
    from telemetry.services import editor_sessions_finish
    from telemetry.signals import annotation_signals_compute

    try:
        editor_sessions_finish(annotation=annotation, final_seq=final_seq)
    except Exception:  # committed already: the sessions stay open, which loses no event
        logger.exception("editor sessions of annotation %s could not be closed", annotation.pk)
    if annotation.task.project.telemetry_enabled or annotation.editor_sessions.exists():
        try:
            annotation_signals_compute(annotation=annotation)
        except Exception:  # the submission is committed; `manage.py recompute_signals` repairs the row
            logger.exception("signals for annotation %s could not be computed", annotation.pk)


def export_provenance(*, annotations) -> dict:
    """{annotation id: {"signals", "flags", "signals_undefined"}} for an export batch (one query)."""
    from telemetry.selectors import export_provenance as provenance

    return provenance(annotations=list(annotations))


def review_evidence(*, annotation) -> dict:
    """{"signals", "flags", "undefined", "replay", "event_count"} for the review console."""
    from telemetry.selectors import review_evidence as evidence

    return evidence(annotation=annotation)


def flag_names() -> dict:
    """{flag code: name in words} for the review queue's flag filter."""
    from telemetry.selectors import flag_names as names

    return names()


def annotations_with_flag(*, flag: str):
    """A subquery of the ids of annotations carrying the flag (the queue filters on it in SQL)."""
    from telemetry.selectors import annotations_with_flag as flagged

    return flagged(flag=flag)


def flag_count() -> object:
    """An expression: how many flags the outer annotation carries (the queue sorts on it)."""
    from telemetry.selectors import flag_count_of_annotation

    return flag_count_of_annotation()


def register() -> None:
    hooks.register(hooks.EDITOR_SESSION, editor_session)
    hooks.register(hooks.ANNOTATION_SUBMITTED, annotation_submitted)
    hooks.register(hooks.EXPORT_PROVENANCE, export_provenance)
    hooks.register(hooks.REVIEW_EVIDENCE, review_evidence)
    hooks.register(hooks.EVIDENCE_FLAG_NAMES, flag_names)
    hooks.register(hooks.ANNOTATIONS_WITH_FLAG, annotations_with_flag)
    hooks.register(hooks.ANNOTATION_FLAG_COUNT, flag_count)

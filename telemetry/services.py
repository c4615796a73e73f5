"""Telemetry writes: editor sessions (the ingest and signal services live beside them)."""

from django.db import transaction
from django.utils import timezone

from telemetry.ingest import final_seq_bound
from telemetry.models import EditorSession


def editor_session_open(*, annotation, user) -> EditorSession:
    """A new editor session for each page load: seq restarts at 1 per session."""
    return EditorSession.objects.create(annotation=annotation, user=user)


def editor_sessions_finish(*, annotation, final_seq: int | None) -> None:
    """Close the annotation's open sessions; the latest one records the client's final seq, bounded
    by what it received (any integer, or anything else, is taken without an error)."""
    with transaction.atomic():
        latest = annotation.editor_sessions.filter(closed_at__isnull=True).order_by("-created_at").first()
        bounded = final_seq_bound(session=latest, final_seq=final_seq) if latest is not None else None
        if bounded is not None:
            EditorSession.objects.filter(pk=latest.pk).update(final_seq=bounded)
        annotation.editor_sessions.filter(closed_at__isnull=True).update(closed_at=timezone.now())

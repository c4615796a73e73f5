"""Instrumented-editor data: sessions, the raw event table, quarantine, and per-annotation signals."""

import uuid

from django.conf import settings
from django.db import models

from annotations.models import Annotation


def _new_salt() -> str:
    return uuid.uuid4().hex[:16]


class EditorSession(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="editor_sessions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="editor_sessions")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # K such that seqs 1..K are all stored (the `ready`/`ack` point); maintained by ingest.
    contiguous_upto = models.PositiveIntegerField(default=0)
    # The last seq the client says it sent, handed over on submit; signals wait for 1..final_seq.
    final_seq = models.PositiveIntegerField(null=True, blank=True)
    # Salt for paste hashes, so equal pastes within a session match without storing text.
    salt = models.CharField(max_length=32, default=_new_salt, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["annotation", "created_at"], name="editor_session_annotation_idx")]

    def __str__(self) -> str:
        return f"EditorSession {self.id} ({self.user})"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Event(models.Model):
    session = models.ForeignKey(EditorSession, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    t = models.FloatField(help_text="ms since the session started (monotonic)")
    kind = models.CharField(max_length=16)
    data = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "seq"]
        constraints = [models.UniqueConstraint(fields=["session", "seq"], name="event_unique_seq")]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.seq} {self.kind}"


class QuarantinedEvent(models.Model):
    """An event that failed validation: kept with the reason, never silently dropped."""

    session = models.ForeignKey(EditorSession, on_delete=models.CASCADE, related_name="quarantined")
    seq = models.IntegerField(null=True, blank=True)
    raw = models.TextField()
    # sha256 of raw: an event without a usable seq is kept once per identical content.
    digest = models.CharField(max_length=64, default="", blank=True)
    reason = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "seq"], condition=models.Q(seq__isnull=False), name="quarantine_once_per_seq"
            ),
            models.UniqueConstraint(
                fields=["session", "digest"], condition=models.Q(seq__isnull=True), name="quarantine_once_per_content"
            ),
        ]

    def __str__(self) -> str:
        return f"Quarantined {self.session_id}#{self.seq}: {self.reason[:60]}"


class AnnotationSignals(models.Model):
    """One row per annotation, computed server-side from stored events."""

    annotation = models.OneToOneField(Annotation, on_delete=models.CASCADE, related_name="signals")
    computed_at = models.DateTimeField(auto_now=True)
    event_count = models.PositiveIntegerField(default=0)
    features = models.JSONField(default=dict)
    # [{"flag": "paste_dominant", "values": {...}, "threshold": ...}]
    flags = models.JSONField(default=list)

    class Meta:
        verbose_name_plural = "annotation signals"

    def __str__(self) -> str:
        return f"Signals for annotation {self.annotation_id}"

from django.contrib import admin

from annotations.admin import ProjectScopedAdmin
from telemetry import models as m


@admin.register(m.EditorSession)
class EditorSessionAdmin(ProjectScopedAdmin):
    project_path = "annotation__task__project"
    read_only = True
    list_display = ["id", "user", "annotation", "created_at", "closed_at", "contiguous_upto", "final_seq"]
    list_filter = ["closed_at", "annotation__task__project"]
    search_fields = ["id", "user__username"]
    raw_id_fields = ["annotation"]
    exclude = ["salt"]


@admin.register(m.Event)
class EventAdmin(ProjectScopedAdmin):
    project_path = "session__annotation__task__project"
    read_only = True
    list_display = ["session", "seq", "t", "kind", "received_at"]
    list_filter = ["kind"]
    search_fields = ["session__id"]
    raw_id_fields = ["session"]


@admin.register(m.QuarantinedEvent)
class QuarantinedEventAdmin(ProjectScopedAdmin):
    project_path = "session__annotation__task__project"
    read_only = True
    list_display = ["session", "seq", "reason", "received_at"]
    search_fields = ["reason", "session__id"]
    raw_id_fields = ["session"]


@admin.register(m.AnnotationSignals)
class AnnotationSignalsAdmin(ProjectScopedAdmin):
    project_path = "annotation__task__project"
    read_only = True
    list_display = ["annotation", "event_count", "computed_at"]
    list_filter = ["annotation__task__project"]
    search_fields = ["annotation__annotator__username"]
    raw_id_fields = ["annotation"]

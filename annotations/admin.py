from django.contrib import admin

from annotations import models as m


class GuidelineInline(admin.StackedInline):
    model = m.GuidelineVersion
    extra = 0
    fields = ["number", "text", "change_summary", "created_by"]


@admin.register(m.Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "phase", "overlap", "telemetry_enabled", "is_active", "created_at"]
    list_filter = ["kind", "phase", "telemetry_enabled", "is_active"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]
    inlines = [GuidelineInline]


@admin.register(m.GuidelineVersion)
class GuidelineVersionAdmin(admin.ModelAdmin):
    list_display = ["project", "number", "created_by", "created_at"]
    list_filter = ["project"]
    search_fields = ["text", "change_summary", "project__name"]


class DimensionInline(admin.TabularInline):
    model = m.RubricDimension
    extra = 0


@admin.register(m.Rubric)
class RubricAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "guideline_version", "created_at"]
    list_filter = ["project"]
    search_fields = ["name", "project__name"]
    inlines = [DimensionInline]


@admin.register(m.RubricDimension)
class RubricDimensionAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "rubric", "scale_min", "scale_max", "weight", "order"]
    list_filter = ["rubric__project"]
    search_fields = ["name", "key", "description"]


@admin.register(m.Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "project",
        "external_id",
        "difficulty",
        "model_uncertainty",
        "batch",
        "slots_taken",
        "is_full",
    ]
    list_filter = ["project", "difficulty", "batch", "is_full"]
    search_fields = ["external_id", "payload"]
    list_select_related = ["project"]


@admin.register(m.Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["id", "task", "annotator", "state", "claimed_at", "expires_at"]
    list_filter = ["state", "task__project"]
    search_fields = ["annotator__username", "routed_because", "skip_reason"]
    list_select_related = ["task__project", "annotator"]
    raw_id_fields = ["task"]


class VersionInline(admin.TabularInline):
    model = m.AnnotationVersion
    extra = 0
    readonly_fields = ["number", "result", "guideline_version", "submitted_at"]


@admin.register(m.Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "task",
        "annotator",
        "state",
        "version",
        "guideline_version",
        "submitted_at",
        "active_seconds",
    ]
    list_filter = ["state", "task__project", "guideline_version"]
    search_fields = ["annotator__username", "result"]
    list_select_related = ["task__project", "annotator", "guideline_version"]
    raw_id_fields = ["task", "assignment"]
    inlines = [VersionInline]


@admin.register(m.AnnotationVersion)
class AnnotationVersionAdmin(admin.ModelAdmin):
    list_display = ["annotation", "number", "guideline_version", "submitted_at"]
    list_filter = ["annotation__task__project"]
    search_fields = ["annotation__annotator__username"]
    raw_id_fields = ["annotation"]


@admin.register(m.Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["id", "annotation", "reviewer", "verdict", "exemplary", "seconds_spent", "created_at"]
    list_filter = ["verdict", "exemplary", "annotation__task__project"]
    search_fields = ["reviewer__username", "feedback", "annotation__annotator__username"]
    list_select_related = ["reviewer", "annotation"]
    raw_id_fields = ["annotation"]


@admin.register(m.Adjudication)
class AdjudicationAdmin(admin.ModelAdmin):
    list_display = ["id", "task", "adjudicator", "source", "created_at"]
    list_filter = ["source", "task__project"]
    search_fields = ["reasoning", "adjudicator__username"]
    raw_id_fields = ["task", "considered"]


class OutcomeInline(admin.TabularInline):
    model = m.OutcomeReport
    extra = 0


@admin.register(m.Export)
class ExportAdmin(admin.ModelAdmin):
    list_display = ["uid", "project", "format", "annotation_count", "created_by", "created_at"]
    list_filter = ["project", "format"]
    search_fields = ["uid", "project__name"]
    inlines = [OutcomeInline]


@admin.register(m.ExportItem)
class ExportItemAdmin(admin.ModelAdmin):
    list_display = ["export", "annotation", "annotation_version"]
    list_filter = ["export__project"]
    search_fields = ["export__uid"]
    raw_id_fields = ["export", "annotation"]


@admin.register(m.OutcomeReport)
class OutcomeReportAdmin(admin.ModelAdmin):
    list_display = ["export", "metric", "value", "baseline", "reported_by", "created_at"]
    list_filter = ["metric", "export__project"]
    search_fields = ["metric", "notes"]

import json

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin import widgets
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

from annotations import access
from annotations import models as m
from annotations.inputs import json_problem, text_problem
from annotations.services.guidelines import guideline_version_publish
from annotations.services.io import IMPORT_FORMATS, RowInvalid, task_row_clean, tasks_import_file
from annotations.services.people import membership_add
from annotations.services.projects import dimensions_problem, labels_problem


class ShowableJSONField(forms.JSONField):
    """Redisplays refused JSON with escapes: Django's own writes a lone surrogate raw, and the page
    holding it cannot be encoded (a 500 instead of the error beside the field)."""

    def prepare_value(self, value):
        shown = super().prepare_value(value)
        return json.dumps(value, cls=self.encoder) if isinstance(shown, str) and text_problem(shown) else shown


class CheckedForm(forms.ModelForm):
    """Whatever is typed in the admin passes the checks every other entrance uses: no text or JSON
    that cannot be stored or shown (annotations.inputs)."""

    def clean(self):
        data = super().clean()
        for name, value in list(data.items()):
            if isinstance(value, str):
                problem = text_problem(value)
            elif isinstance(value, dict | list):
                problem = json_problem(value)
            else:
                continue
            if problem:
                self.add_error(name, f"This {problem}.")
        return data


class TaskForm(CheckedForm):
    """A task typed in the admin follows the import's rules for its project's kind (task_row_clean)."""

    def clean(self):
        data = super().clean()
        project = data.get("project")
        if project is None or self.errors:
            return data
        row = {k: data.get(k) for k in ("external_id", "references", "domain_tags", "gold_answer")}
        row.update({k: data[k] for k in ("difficulty", "model_uncertainty", "batch") if data.get(k) is not None})
        row["payload"] = data.get("payload") if isinstance(data.get("payload"), dict) else {}
        try:
            task_row_clean(project=project, row=row)
        except RowInvalid as exc:
            raise forms.ValidationError(f"The import would refuse this task: {exc}.") from None
        return data


class ProjectScopedAdmin(admin.ModelAdmin):
    """The admin of a model that belongs to a project: a project admin sees and changes only the rows
    of projects they administer (superusers everything). Access asks annotations.access, not Django's
    model permissions, so no group can widen it. `project_path` leads from the model to its project."""

    project_path = "project"
    read_only = False  # records made by the system (telemetry): looked at, never typed in
    form = CheckedForm
    formfield_overrides = {models.JSONField: {"form_class": ShowableJSONField}}

    def _ids(self, request):
        return access.project_ids(request.user, access.MANAGE)

    def get_list_filter(self, request):
        """Filters on a relation offer only the values of the admin's own rows (never every project)."""
        scoped = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and get_fields_from_path(self.model, entry)[-1].is_relation:
                entry = (entry, admin.RelatedOnlyFieldListFilter)
            scoped.append(entry)
        return scoped

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        ids = self._ids(request)
        return qs if ids is None else qs.filter(**{f"{self.project_path}__in": ids})

    def _project_of(self, obj):
        target = obj
        for part in self.project_path.split("__"):
            target = getattr(target, part, None)
        return target

    def _may(self, request, obj=None) -> bool:
        if not (request.user.is_active and request.user.is_staff):
            return False
        if obj is None:
            return access.holds_anywhere(request.user, access.MANAGE)
        project = obj if isinstance(obj, m.Project) else self._project_of(obj)
        return project is not None and access.may(request.user, project, access.MANAGE)

    def has_module_permission(self, request):
        return self._may(request)

    def has_view_permission(self, request, obj=None):
        return self._may(request, obj)

    def has_add_permission(self, request, *args):
        return not self.read_only and self._may(request)

    def has_change_permission(self, request, obj=None):
        return not self.read_only and self._may(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self.read_only and self._may(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Choices only from the admin's own projects; people by id, never a list of every account."""
        ids = self._ids(request)
        related = db_field.related_model
        if ids is not None and related is m.Project:
            kwargs["queryset"] = m.Project.objects.filter(pk__in=ids)
        elif ids is not None and any(f.name == "project" for f in related._meta.get_fields()):
            kwargs["queryset"] = related.objects.filter(project__in=ids)
        elif related is get_user_model() and db_field.name not in self.raw_id_fields:
            kwargs["widget"] = widgets.ForeignKeyRawIdWidget(db_field.remote_field, self.admin_site)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        """A row pointed (by a typed id) at a project the admin does not run is refused."""
        if not isinstance(obj, m.Project) and not self._may(request, obj):
            raise PermissionDenied("That row belongs to a project you do not administer.")
        super().save_model(request, obj, form, change)


class ProjectScopedInline(admin.options.InlineModelAdmin):
    """An inline on a project's page (or on a row of one project) asks the same rule as its page:
    admins of that project, superusers; never Django's model permissions, which project admins lack."""

    form = CheckedForm

    def _may(self, request, obj=None) -> bool:
        if not (request.user.is_active and request.user.is_staff):
            return False
        if obj is None:
            return access.holds_anywhere(request.user, access.MANAGE)
        project = obj if isinstance(obj, m.Project) else getattr(obj, "project", None)
        if project is None and hasattr(obj, "task"):
            project = obj.task.project
        return project is not None and access.may(request.user, project, access.MANAGE)

    def has_view_permission(self, request, obj=None):
        return self._may(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._may(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, obj)


class MembershipInline(ProjectScopedInline, admin.TabularInline):
    model = m.Membership
    extra = 1
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["user"]  # no list of every account on the installation


class TaskImportForm(forms.Form):
    file = forms.FileField(help_text='JSONL, CSV or Label Studio task JSON (a list of {"data": {...}}).')
    format = forms.ChoiceField(choices=[("", "From the file name")] + [(f, f) for f in IMPORT_FORMATS], required=False)


class GuidelineFormSet(BaseInlineFormSet):
    def save_new(self, form, commit=True):
        """A version added here is published: saved, then announced after commit."""
        version = super().save_new(form, commit=False)
        return guideline_version_publish(version=version) if commit else version


class GuidelineInline(ProjectScopedInline, admin.StackedInline):
    model = m.GuidelineVersion
    formset = GuidelineFormSet
    extra = 0
    fields = ["number", "text", "change_summary", "created_by"]
    raw_id_fields = ["created_by"]


class LabelsField(forms.CharField):
    """A label set typed one label per line; saved as the list the project API takes."""

    widget = forms.Textarea(attrs={"rows": 6})

    def prepare_value(self, value):
        return "\n".join(map(str, value)) if isinstance(value, list) else value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        return [line.strip() for line in (value or "").splitlines() if line.strip()]

    def validate(self, value):
        if problem := labels_problem(value):
            raise forms.ValidationError(problem)


class DimensionsField(forms.CharField):
    """Comparison dimensions typed one per line as "key | Name | description" (name and description
    optional); saved as the list of objects the project API takes."""

    widget = forms.Textarea(attrs={"rows": 6})

    def prepare_value(self, value):
        if not isinstance(value, list):
            return value
        lines = []
        for dim in value:
            parts = [str(dim.get(k) or "").replace("\n", " ") for k in ("key", "name", "description")]
            lines.append(" | ".join(parts[: 3 if parts[2] else 2 if parts[1] else 1]))
        return "\n".join(lines)

    def to_python(self, value):
        if isinstance(value, list):
            return value
        dimensions = []
        for line in (value or "").splitlines():
            if not line.strip():
                continue
            key, name, description = ([part.strip() for part in line.split("|", 2)] + ["", ""])[:3]
            dim = {"key": key}
            if name:
                dim["name"] = name
            if description:
                dim["description"] = description
            dimensions.append(dim)
        return dimensions

    def validate(self, value):
        if problem := dimensions_problem(value):
            raise forms.ValidationError(problem)


class ProjectForm(CheckedForm):
    """Labels and comparison dimensions edited as lists, refused in the words of the project API."""

    labels = LabelsField(
        required=False,
        help_text="Classification: one label per line, in the order the work screen numbers them (keys 1-9).",
    )
    comparison_dimensions = DimensionsField(
        required=False,
        help_text="Comparison: one dimension per line as key | Name | description, e.g. "
        "accuracy | Accuracy | Is every claim correct? (key: lower-case letters, digits, - or _).",
    )

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == m.Project.Kind.CLASSIFY and "labels" in data and len(data["labels"]) < 2:
            self.add_error("labels", "A classification project needs at least two labels.")
        if kind == m.Project.Kind.COMPARE and "comparison_dimensions" in data and not data["comparison_dimensions"]:
            self.add_error("comparison_dimensions", "A comparison project needs at least one dimension.")
        return data


@admin.register(m.Project)
class ProjectAdmin(ProjectScopedAdmin):
    project_path = "pk"
    form = ProjectForm
    list_display = ["name", "kind", "phase", "overlap", "telemetry_enabled", "is_active", "created_at"]
    list_filter = ["kind", "phase", "telemetry_enabled", "is_active"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline, GuidelineInline]
    actions = ["import_tasks_action"]
    change_form_template = "admin/annotations/project/change_form.html"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and not request.user.is_superuser:  # whoever creates a project administers it
            membership_add(project=obj, user=request.user, role=access.ADMIN)

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_tasks_view)
        task_format = self.admin_site.admin_view(self.task_format_view)
        return [
            path("<int:project_id>/import/", view, name="annotations_project_import"),
            path("task-format/", task_format, name="annotations_project_task_format"),
        ] + super().get_urls()

    def task_format_view(self, request):
        """docs/task-format.md, the file format the import takes, shown beside the import form."""
        if not self.has_module_permission(request):
            raise PermissionDenied
        text = (settings.BASE_DIR / "docs" / "task-format.md").read_text(encoding="utf-8")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Task files: what an import takes",
            # The repository's own document (trusted): its HTML comments mark the tested examples.
            "doc": mark_safe(MarkdownIt("commonmark", {"html": True}).enable("table").render(text)),
        }
        return TemplateResponse(request, "admin/annotations/project/task_format.html", context)

    @admin.action(description="Import tasks into the selected project")
    def import_tasks_action(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one project to import tasks into.", level="error")
            return None
        return redirect(reverse("admin:annotations_project_import", args=[queryset.get().pk]))

    def import_tasks_view(self, request, project_id: int):
        """Upload a file; the page shows what was created, skipped and refused (by line)."""
        project = get_object_or_404(m.Project, pk=project_id)
        if not self.has_change_permission(request, project):
            raise PermissionDenied
        report = None
        form = TaskImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            report = tasks_import_file(
                project=project, stream=upload.file, fmt=form.cleaned_data["format"] or None, name=upload.name
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": project,
            "title": f"Import tasks into {project}",
            "form": form,
            "report": report,
        }
        return TemplateResponse(request, "admin/annotations/project/import_tasks.html", context)


@admin.register(m.GuidelineVersion)
class GuidelineVersionAdmin(ProjectScopedAdmin):
    list_display = ["project", "number", "created_by", "created_at"]
    list_filter = ["project"]
    search_fields = ["text", "change_summary", "project__name"]

    def save_model(self, request, obj, form, change):
        if not change and self._may(request, obj):
            guideline_version_publish(version=obj)  # a new version is published: announced after commit
        else:
            super().save_model(request, obj, form, change)  # refuses a project the admin does not run


class DimensionInline(ProjectScopedInline, admin.TabularInline):
    model = m.RubricDimension
    extra = 0


@admin.register(m.Rubric)
class RubricAdmin(ProjectScopedAdmin):
    list_display = ["name", "project", "guideline_version", "created_at"]
    list_filter = ["project"]
    search_fields = ["name", "project__name"]
    inlines = [DimensionInline]


@admin.register(m.RubricDimension)
class RubricDimensionAdmin(ProjectScopedAdmin):
    project_path = "rubric__project"
    list_display = ["name", "key", "rubric", "scale_min", "scale_max", "weight", "order"]
    list_filter = ["rubric__project"]
    search_fields = ["name", "key", "description"]


@admin.register(m.Task)
class TaskAdmin(ProjectScopedAdmin):
    form = TaskForm
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
class AssignmentAdmin(ProjectScopedAdmin):
    project_path = "task__project"
    list_display = ["id", "task", "annotator", "state", "claimed_at", "expires_at"]
    list_filter = ["state", "task__project"]
    search_fields = ["annotator__username", "routed_because", "skip_reason"]
    list_select_related = ["task__project", "annotator"]
    raw_id_fields = ["task"]


class VersionInline(ProjectScopedInline, admin.TabularInline):
    """The submitted versions: history, shown and never edited."""

    model = m.AnnotationVersion
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    readonly_fields = ["number", "result", "guideline_version", "submitted_at"]


@admin.register(m.Annotation)
class AnnotationAdmin(ProjectScopedAdmin):
    project_path = "task__project"
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
class AnnotationVersionAdmin(ProjectScopedAdmin):
    project_path = "annotation__task__project"
    list_display = ["annotation", "number", "guideline_version", "submitted_at"]
    list_filter = ["annotation__task__project"]
    search_fields = ["annotation__annotator__username"]
    raw_id_fields = ["annotation"]


@admin.register(m.Review)
class ReviewAdmin(ProjectScopedAdmin):
    project_path = "annotation__task__project"
    list_display = ["id", "annotation", "reviewer", "verdict", "exemplary", "seconds_spent", "created_at"]
    list_filter = ["verdict", "exemplary", "annotation__task__project"]
    search_fields = ["reviewer__username", "feedback", "annotation__annotator__username"]
    list_select_related = ["reviewer", "annotation"]
    raw_id_fields = ["annotation"]


@admin.register(m.Adjudication)
class AdjudicationAdmin(ProjectScopedAdmin):
    project_path = "task__project"
    list_display = ["id", "task", "adjudicator", "source", "created_at"]
    list_filter = ["source", "task__project"]
    search_fields = ["reasoning", "adjudicator__username"]
    raw_id_fields = ["task", "considered"]


class OutcomeInline(ProjectScopedInline, admin.TabularInline):
    model = m.OutcomeReport
    extra = 0
    raw_id_fields = ["reported_by"]


@admin.register(m.Export)
class ExportAdmin(ProjectScopedAdmin):
    list_display = ["uid", "project", "format", "annotation_count", "created_by", "created_at"]
    list_filter = ["project", "format"]
    search_fields = ["uid", "project__name"]
    inlines = [OutcomeInline]


@admin.register(m.ExportItem)
class ExportItemAdmin(ProjectScopedAdmin):
    project_path = "export__project"
    list_display = ["export", "annotation", "annotation_version"]
    list_filter = ["export__project"]
    search_fields = ["export__uid"]
    raw_id_fields = ["export", "annotation"]


@admin.register(m.OutcomeReport)
class OutcomeReportAdmin(ProjectScopedAdmin):
    project_path = "export__project"
    list_display = ["export", "metric", "value", "baseline", "reported_by", "created_at"]
    list_filter = ["metric", "export__project"]
    search_fields = ["metric", "notes"]

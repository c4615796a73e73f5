"""REST for exports and outcomes, for the project's admins only (annotations.access MANAGE; 404 to anyone
else, so a project or export of another team is never confirmed to exist).

- `POST /api/projects/{id}/export/` makes an export: format and filters in the body; 201 with the
  export (uid, count, filters, what was left out and why, its download URL).
- `GET /api/projects/{id}/export/` lists the project's exports, newest first; it creates nothing.
- `GET /api/exports/{uid}/download/` streams a made export, from exactly the annotation versions it
  recorded (as often as asked); `GET /api/exports/{uid}/` is its detail, with its state and outcomes.
- `GET|POST /api/exports/{uid}/outcomes/` lists or reports model results against an export.
"""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import QueryDict, StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import access
from annotations.models import Export, OutcomeReport
from annotations.services.io import EXPORT_FORMATS, export_create, export_download, outcome_report_create

EXPORT_MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv", "trl": "application/x-ndjson"}


class ExportRequestSerializer(serializers.Serializer):
    """What a new export takes (documentation; the export service checks every field)."""

    format = serializers.ChoiceField(choices=list(EXPORT_FORMATS), required=False, help_text="default jsonl")
    include_rejected = serializers.BooleanField(required=False, help_text="keep rejected work (default false)")
    accepted_only = serializers.BooleanField(required=False, help_text="only work whose reviews all accept it")
    min_score = serializers.FloatField(
        required=False, allow_null=True, help_text="minimum weighted review score (rubric weights, rubric scale)"
    )
    exclude_flagged = serializers.BooleanField(required=False, help_text="leave out work with telemetry flags")
    exclude_guideline_versions = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, help_text="guideline version numbers"
    )


class OutcomeSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutcomeReport
        fields = ["id", "metric", "value", "baseline", "notes", "reported_by", "created_at"]
        read_only_fields = ["id", "reported_by", "created_at"]


class ExportSerializer(serializers.ModelSerializer):
    project = serializers.IntegerField(source="project_id", read_only=True)
    outcomes = OutcomeSerializer(many=True, read_only=True)
    filters = serializers.JSONField(help_text="the filters that chose the annotations, defaults included")
    left_out = serializers.JSONField(help_text="{reason: how many annotations it left out}")
    failure = serializers.CharField(help_text="why the last download failed (empty once one completes)")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Export
        fields = [
            "uid",
            "project",
            "format",
            "state",
            "failure",
            "annotation_count",
            "filters",
            "left_out",
            "download_url",
            "created_by",
            "created_at",
            "outcomes",
        ]

    def get_download_url(self, export: Export) -> str:
        path = reverse("api-export-download", kwargs={"uid": export.uid})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


def _export_or_404(user, uid) -> Export:
    export = Export.objects.filter(uid=uid).select_related("project").first()
    if export is None or not access.may(user, export.project, access.MANAGE):
        raise NotFound("No such export.")
    return export


class IgnoreFormatOverride(DefaultContentNegotiation):
    """?format= names the export format here (older callers send it), not a DRF renderer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _request_body(data) -> dict:
    if isinstance(data, QueryDict):  # a form post: the version list may be repeated
        return {k: data.getlist(k) if k == "exclude_guideline_versions" else data.get(k) for k in data}
    if not isinstance(data, dict):
        raise ValidationError({"filters": ['Send a JSON object, e.g. {"format": "jsonl", "accepted_only": true}.']})
    return dict(data)


class ProjectExportView(APIView):
    """Make an export of the project's submitted annotations (POST), or list the made ones (GET)."""

    content_negotiation_class = IgnoreFormatOverride

    @extend_schema(responses={200: ExportSerializer(many=True)})
    def get(self, request, project_id: int):
        project = access.project_or_404(request.user, project_id, access.MANAGE, active_only=False)
        exports = project.exports.order_by("-created_at", "-id").prefetch_related("outcomes")
        return Response(ExportSerializer(exports, many=True, context={"request": request}).data)

    @extend_schema(request=ExportRequestSerializer, responses={201: ExportSerializer})
    def post(self, request, project_id: int):
        project = access.project_or_404(request.user, project_id, access.MANAGE, active_only=False)
        body = _request_body(request.data)
        fmt = body.pop("format", None)
        fmt = "jsonl" if fmt in (None, "") else fmt
        export = export_create(project=project, fmt=fmt, user=request.user, filters=body)
        data = ExportSerializer(export, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


async def _async_pieces(pieces):
    """Serve a sync generator to an ASGI server piece by piece (Django would otherwise read it all
    into memory first); every step runs on the request's sync thread and DB connection."""
    step = sync_to_async(next, thread_sensitive=True)
    while (piece := await step(pieces, None)) is not None:
        yield piece


class ExportDownloadView(APIView):
    """The made export's file, streamed; a failure mid-way ends it with a last line saying why."""

    content_negotiation_class = IgnoreFormatOverride

    @extend_schema(responses={(200, "application/x-ndjson"): OpenApiTypes.STR, (200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, uid):
        export = _export_or_404(request.user, uid)
        pieces = export_download(export=export)
        if isinstance(request._request, ASGIRequest):
            pieces = _async_pieces(pieces)
        response = StreamingHttpResponse(pieces, content_type=EXPORT_MEDIA[export.format] + "; charset=utf-8")
        extension = "csv" if export.format == Export.Format.CSV else "jsonl"
        name = f"{export.project.slug}-{export.format}-{export.uid}.{extension}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["X-Export-Uid"] = str(export.uid)
        response["X-Export-Count"] = str(export.annotation_count)
        return response


class ExportDetailView(APIView):
    """What an export held, what its filters left out and why, its state, and its outcomes."""

    @extend_schema(responses={200: ExportSerializer})
    def get(self, request, uid):
        return Response(ExportSerializer(_export_or_404(request.user, uid), context={"request": request}).data)


class ExportOutcomesView(APIView):
    """Report a model result (metric, value, baseline, notes) against an export, or list them."""

    @extend_schema(responses={200: OutcomeSerializer(many=True)})
    def get(self, request, uid):
        export = _export_or_404(request.user, uid)
        return Response(OutcomeSerializer(export.outcomes.order_by("created_at", "id"), many=True).data)

    @extend_schema(request=OutcomeSerializer, responses={201: OutcomeSerializer})
    def post(self, request, uid):
        export = _export_or_404(request.user, uid)
        data = request.data if isinstance(request.data, dict) else {}
        outcome = outcome_report_create(
            export=export,
            metric=data.get("metric"),
            value=data.get("value"),
            baseline=data.get("baseline"),
            notes=data.get("notes", ""),
            user=request.user,
        )
        return Response(OutcomeSerializer(outcome).data, status=status.HTTP_201_CREATED)

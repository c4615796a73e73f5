"""REST API: thin views over selectors and services."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound, ParseError, PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import access, roles
from annotations.inputs import references_shown
from annotations.models import Annotation, Assignment
from annotations.selectors_work import assignment_for_work, returned_reviews
from annotations.services.io import tasks_import
from annotations.services.io_import import RowInvalid, json_list_items
from annotations.services.routing import RETURNED_REASON, assignment_next, assignment_release
from annotations.services.work import (
    MAX_ACTIVE_SECONDS,
    annotation_save_draft,
    annotation_start,
    annotation_submit,
)

# --- The annotation loop: next task, submit, draft -------------------------------------------


class IsProjectAdmin(BasePermission):
    """Admin of some project; each view then asks access.may for the project it touches."""

    message = "Only project admins may do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and roles.is_project_admin(request.user))


class NextTaskSerializer(serializers.Serializer):
    assignment_id = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    routed_because = serializers.CharField()
    task_id = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True)
    payload = serializers.JSONField()
    references = serializers.JSONField()
    domain_tags = serializers.JSONField()
    difficulty = serializers.IntegerField()
    guideline_version = serializers.IntegerField(allow_null=True)
    annotation_id = serializers.IntegerField()
    left_response = serializers.CharField(help_text="compare: which response to show on the left ('a' or 'b').")
    draft = serializers.JSONField(help_text="What was saved as a draft so far.")
    returned = serializers.BooleanField(
        help_text="Work of yours sent back for revision (served before new tasks): `draft` holds the result "
        "as last handed in or saved, `feedback` the reviews asking for the change; submit it as any task."
    )
    version = serializers.IntegerField(help_text="The annotation's version (a revision submits the next one).")
    feedback = serializers.ListField(
        child=serializers.DictField(), help_text="returned work: [{verdict, feedback}] of the returned version."
    )


class ResultSerializer(serializers.Serializer):
    result = serializers.JSONField(help_text="The result in the project kind's shape (see annotations/validation.py).")
    active_seconds = serializers.FloatField(required=False, min_value=0, max_value=MAX_ACTIVE_SECONDS)
    final_seq = serializers.IntegerField(
        required=False, min_value=0, max_value=2_147_483_647, help_text="The editor session's last event seq."
    )


class SubmittedSerializer(serializers.Serializer):
    annotation_id = serializers.IntegerField()
    state = serializers.CharField()
    version = serializers.IntegerField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    draft_saved_at = serializers.DateTimeField(allow_null=True, help_text="When the draft was last saved.")


class ErrorsSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


class NextTaskView(APIView):
    """The caller's routed task in a project: their active one first, then their oldest work sent back
    for revision (`returned`: true, with the reviews' feedback), then a new one; 204 when nothing is left."""

    @extend_schema(responses={200: NextTaskSerializer, 204: None, 403: ErrorsSerializer, 404: ErrorsSerializer})
    def get(self, request, project_id: int):
        project = access.projects(request.user, access.ANY).filter(pk=project_id).first()
        if project is None:
            raise NotFound("No such project for you.")
        if not access.may(request.user, project, access.ANNOTATE):
            raise PermissionDenied("Only the project's annotators receive tasks.")
        assignment = assignment_next(project=project, user=request.user)
        if assignment is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        assignment.task.project = project  # the claim's task belongs to this project; saves a query
        annotation = annotation_start(assignment=assignment)
        task = assignment.task
        guideline = annotation.guideline_version
        returned = getattr(assignment, "returned", None) is not None
        feedback = [{"verdict": r.verdict, "feedback": r.feedback} for r in returned_reviews(annotation=annotation)]
        return Response(
            {
                "assignment_id": assignment.pk,
                "expires_at": assignment.expires_at,
                "routed_because": RETURNED_REASON if returned else assignment.routed_because,
                "task_id": task.pk,
                "external_id": task.external_id,
                "payload": task.payload,
                "references": references_shown(task.references),
                "domain_tags": task.domain_tags,
                "difficulty": task.difficulty,
                "guideline_version": guideline.number if guideline else None,
                "annotation_id": annotation.pk,
                "left_response": annotation.left_response,
                "draft": annotation.result,
                "returned": returned,
                "version": annotation.version,
                "feedback": feedback,
            }
        )


def _own_active_annotation(*, user, task_id: int) -> Annotation:
    """The caller's annotation on a task they hold an active, unexpired assignment for, or of theirs sent
    back for revision, in a project where they still annotate (the same rule as the work screen)."""
    assignment = assignment_for_work(user=user, task_id=task_id)  # its 404 is DRF's NotFound
    returned = Annotation.objects.filter(task_id=task_id, annotator=user, state=Annotation.State.RETURNED).first()
    if returned is not None:  # sent back for revision: revised under its submitted assignment
        returned.task = assignment.task
        return returned
    if assignment.state == Assignment.State.ACTIVE and assignment.expires_at < timezone.now():
        assignment_release(assignment=assignment, state=Assignment.State.EXPIRED)
    if assignment.state != Assignment.State.ACTIVE:
        raise Conflict(f"Your assignment for this task is {assignment.state}; ask for the next task.")
    annotation = annotation_start(assignment=assignment)
    annotation.task = assignment.task  # already loaded with its project: saves two queries per submit
    return annotation


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This cannot be done in the task's current state."
    default_code = "conflict"


def _invalid(exc: ValidationError) -> Response:
    return Response(
        {"detail": "The result is not valid; see errors by field.", "errors": exc.message_dict},
        status=status.HTTP_400_BAD_REQUEST,
    )


def _saved(annotation: Annotation, *, status: int) -> Response:
    fields = {"annotation_id": annotation.pk, "state": annotation.state, "version": annotation.version}
    times = {"submitted_at": annotation.submitted_at, "draft_saved_at": annotation.draft_saved_at}
    return Response({**fields, **times}, status=status)


class SubmitAnnotationView(APIView):
    """Submit the caller's result for a task they were assigned; 400 names every bad field."""

    @extend_schema(
        request=ResultSerializer,
        responses={201: SubmittedSerializer, 400: ErrorsSerializer, 404: ErrorsSerializer, 409: ErrorsSerializer},
    )
    def post(self, request, task_id: int):
        body = ResultSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        annotation = _own_active_annotation(user=request.user, task_id=task_id)
        try:
            annotation = annotation_submit(
                annotation=annotation,
                result=body.validated_data["result"],
                final_seq=body.validated_data.get("final_seq"),
                active_seconds=body.validated_data.get("active_seconds"),
            )
        except ValidationError as exc:
            return _invalid(exc)
        return _saved(annotation, status=status.HTTP_201_CREATED)


class DraftAnnotationView(APIView):
    """Save whatever was typed so far (never refused for its content)."""

    @extend_schema(
        request=ResultSerializer,
        responses={200: SubmittedSerializer, 400: ErrorsSerializer, 404: ErrorsSerializer, 409: ErrorsSerializer},
    )
    def put(self, request, task_id: int):
        body = ResultSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        annotation = _own_active_annotation(user=request.user, task_id=task_id)
        try:
            annotation = annotation_save_draft(
                annotation=annotation,
                result=body.validated_data["result"],
                active_seconds=body.validated_data.get("active_seconds"),
            )
        except ValidationError as exc:
            return _invalid(exc)
        return _saved(annotation, status=status.HTTP_200_OK)


# --- Import, export, outcomes (project admins) -------------------------------------------------


class TaskRowSerializer(serializers.Serializer):
    """One task to import (documentation of the row shape; rows are checked by the import service)."""

    external_id = serializers.CharField(required=False)
    prompt = serializers.CharField(required=False, help_text="write and compare")
    text = serializers.CharField(required=False, help_text="classify")
    response_a = serializers.CharField(required=False, help_text="compare")
    response_b = serializers.CharField(required=False, help_text="compare")
    payload = serializers.JSONField(required=False, help_text="or the payload as one object")
    references = serializers.JSONField(required=False)
    domain_tags = serializers.ListField(child=serializers.CharField(), required=False)
    difficulty = serializers.IntegerField(required=False, min_value=1, max_value=5)
    model_uncertainty = serializers.FloatField(required=False, min_value=0, max_value=1)
    gold_answer = serializers.JSONField(required=False)
    batch = serializers.IntegerField(required=False, min_value=0)


class ImportErrorSerializer(serializers.Serializer):
    item = serializers.IntegerField(help_text="1-based position in the posted list")
    reason = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="already present (same external id or same content)")
    errors = ImportErrorSerializer(many=True)


class TaskListParser(JSONParser):
    """An import body read item by item, so one bad item (1e400, a lone surrogate, 10,000 levels
    deep) is refused by its position and the items beside it are imported."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return json_list_items(stream.read() if stream is not None else b"")
        except RowInvalid as exc:
            raise ParseError(str(exc)) from None


class ProjectTasksImportView(APIView):
    """Import a JSON list of tasks; valid items are imported, the others reported by position."""

    permission_classes = [IsProjectAdmin]
    parser_classes = [TaskListParser]

    @extend_schema(
        request=TaskRowSerializer(many=True),
        responses={200: ImportReportSerializer, 201: ImportReportSerializer, 400: ErrorsSerializer},
    )
    def post(self, request, project_id: int):
        project = access.project_or_404(request.user, project_id, access.MANAGE, active_only=False)
        if not isinstance(request.data, list):
            return Response(
                {"detail": 'Send a JSON list of tasks, e.g. [{"prompt": "..."}].'},
                status=status.HTTP_400_BAD_REQUEST,
            )
        report = tasks_import(project=project, rows=request.data)  # (position, item) pairs: TaskListParser
        body = {
            "created": report.created,
            "skipped": report.skipped,
            "errors": [{"item": e.line, "reason": e.reason} for e in report.errors],
        }
        return Response(body, status=status.HTTP_201_CREATED if report.created else status.HTTP_200_OK)

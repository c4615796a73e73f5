"""Projects over REST: list and read the projects you hold a role in; project admins create them
and change their settings and people (`members`, `reviewers`, `admins` as lists of usernames)."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from annotations import access
from annotations.models import Project
from annotations.services.people import project_people, users_by_username
from annotations.services.projects import PEOPLE, SETTINGS, project_create, project_update


class ProjectSerializer(serializers.ModelSerializer):
    """A project's settings; its people only for those who administer it."""

    members = serializers.ListField(
        child=serializers.CharField(max_length=150), required=False, help_text="Usernames of the annotators."
    )
    reviewers = serializers.ListField(child=serializers.CharField(max_length=150), required=False)
    admins = serializers.ListField(child=serializers.CharField(max_length=150), required=False)

    class Meta:
        model = Project
        fields = ["id", *SETTINGS, "phase", "created_at", *PEOPLE]
        read_only_fields = ["id", "phase", "created_at"]
        extra_kwargs = {
            "overlap": {"min_value": 1, "max_value": 100},
            "gold_rate": {"min_value": 0.0, "max_value": 1.0},
            "double_review_rate": {"min_value": 0.0, "max_value": 1.0},
            "validation_batch_size": {"min_value": 1, "max_value": 100_000},
            "iaa_threshold": {"min_value": -1.0, "max_value": 1.0},
            "expected_minutes": {"min_value": 0.1, "max_value": 24 * 60},
            "assignment_ttl_minutes": {"min_value": 1, "max_value": 7 * 24 * 60},
            "min_words": {"min_value": 0, "max_value": 100_000},
            "max_words": {"min_value": 0, "max_value": 100_000},
            "labels": {"help_text": "classify: the label set, a list of text."},
            "comparison_dimensions": {"help_text": 'compare: [{"key": "accuracy", "name": "Accuracy"}, ...]'},
        }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and access.may(request.user, instance, access.MANAGE):
            data.update(project_people(project=instance))
        return data


def _split(validated: dict) -> tuple[dict, dict]:
    """(settings, {people key: users}); unknown usernames are a ValidationError naming the field."""
    people = {key: validated.pop(key) for key in list(PEOPLE) if key in validated}
    errors: dict = {}
    resolved = {}
    for key, usernames in people.items():
        try:
            resolved[key] = users_by_username(usernames=usernames, field=key)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return validated, resolved


class ProjectViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Projects where the caller holds a role (superusers: all). Project admins create projects and
    change their own; annotators and reviewers only read (403)."""

    serializer_class = ProjectSerializer
    queryset = Project.objects.all()  # for the schema; get_queryset scopes it

    def get_queryset(self):
        return access.projects(self.request.user, access.ANY, active_only=False).order_by("name")

    def _saved(self, project: Project, http_status: int) -> Response:
        return Response(self.get_serializer(project).data, status=http_status)

    def create(self, request, *args, **kwargs):
        if not access.holds_anywhere(request.user, access.MANAGE):
            raise PermissionDenied("Only project admins create projects.")
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            fields, people = _split(dict(body.validated_data))
            project = project_create(by=request.user, fields=fields, people=people)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        access.forget(request.user)
        return self._saved(project, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        project = self.get_object()  # 404 unless the caller holds a role here
        if not access.may(request.user, project, access.MANAGE):
            raise PermissionDenied("Only this project's admins change it.")
        body = self.get_serializer(project, data=request.data, partial=kwargs.get("partial", False))
        body.is_valid(raise_exception=True)
        try:
            fields, people = _split(dict(body.validated_data))
            project = project_update(project=project, by=request.user, fields=fields, people=people)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        access.forget(request.user)
        return self._saved(project, status.HTTP_200_OK)

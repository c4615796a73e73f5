"""REST API: thin views over selectors and services."""

from rest_framework import serializers, viewsets

from annotations import roles
from annotations.models import Project


class ProjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "kind",
            "labels",
            "multi_label",
            "comparison_dimensions",
            "overlap",
            "phase",
            "telemetry_enabled",
            "expected_minutes",
        ]


class ProjectViewSet(viewsets.ReadOnlyModelViewSet):
    """Projects the caller works on (project admins see all)."""

    serializer_class = ProjectSerializer
    queryset = Project.objects.all()  # for the schema; get_queryset scopes it

    def get_queryset(self):
        user = self.request.user
        qs = Project.objects.all()
        if not roles.is_project_admin(user):
            qs = qs.filter(members=user)
        return qs.order_by("name")

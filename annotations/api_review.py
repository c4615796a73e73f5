"""REST routes of the review console: reviews of my work (anyone logged in, own work only), create a
review and the review queue (reviewers and project admins). Thin: selectors read, services write."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import roles
from annotations import selectors_review as sel
from annotations.models import Annotation, Project, Review
from annotations.services.review import review_create

SCORES_HELP = (
    "{dimension key: score} for every dimension of the annotation's rubric: a whole number on the"
    " dimension's scale, or null for n/a (the dimension does not apply to this work; agreement and"
    " averages leave it out)."
)


class IsReviewer(BasePermission):
    message = "Only reviewers and project admins may do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and roles.is_reviewer(request.user))


class MyReviewSerializer(serializers.ModelSerializer):
    """A review as its annotator sees it: no reviewer identity."""

    project = serializers.IntegerField(source="annotation.task.project_id", read_only=True)
    task = serializers.IntegerField(source="annotation.task_id", read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "annotation",
            "annotation_version",
            "project",
            "task",
            "scores",
            "verdict",
            "exemplary",
            "exemplar_note",
            "feedback",
            "created_at",
        ]
        extra_kwargs = {"scores": {"help_text": SCORES_HELP}}


class ReviewCreateSerializer(serializers.Serializer):
    annotation = serializers.IntegerField(min_value=1)
    scores = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        help_text=SCORES_HELP + " A dimension left out is an error: n/a is always said.",
    )
    verdict = serializers.ChoiceField(choices=Review.Verdict.choices)
    feedback = serializers.CharField(required=False, allow_blank=True, default="")
    exemplary = serializers.BooleanField(required=False, default=False)
    exemplar_note = serializers.CharField(required=False, allow_blank=True, default="")
    seconds_spent = serializers.FloatField(required=False, min_value=0, default=0.0)


class ReviewOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = Review
        fields = [
            "id",
            "annotation",
            "annotation_version",
            "reviewer",
            "scores",
            "verdict",
            "exemplary",
            "exemplar_note",
            "feedback",
            "seconds_spent",
            "guideline_version",
            "created_at",
        ]
        extra_kwargs = {"scores": {"help_text": SCORES_HELP}}


class QueueItemSerializer(serializers.ModelSerializer):
    project = serializers.IntegerField(source="task.project_id", read_only=True)
    kind = serializers.CharField(source="task.project.kind", read_only=True)
    annotator = serializers.SerializerMethodField()
    reviews_done = serializers.IntegerField(read_only=True)
    flags = serializers.SerializerMethodField()

    class Meta:
        model = Annotation
        fields = [
            "id",
            "task",
            "project",
            "kind",
            "annotator",
            "version",
            "submitted_at",
            "reviews_wanted",
            "reviews_done",
            "flags",
        ]

    def get_annotator(self, obj) -> int | None:
        return None if obj.task.project.blind_review else obj.annotator_id

    def get_flags(self, obj) -> list[str]:
        return [f.get("flag", "") for f in getattr(obj, "evidence_flags", [])]


class MyReviewsView(generics.ListAPIView):
    """GET: reviews of the caller's own work, newest first. POST: create a review (reviewers)."""

    serializer_class = MyReviewSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return sel.reviews_of_my_work(user=self.request.user)

    @extend_schema(request=ReviewCreateSerializer, responses={201: ReviewOutSerializer})
    def post(self, request):
        if not roles.is_reviewer(request.user):
            raise PermissionDenied("Only reviewers and project admins review.")
        data = ReviewCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            annotation = sel.annotation_for_reviewer(user=request.user, annotation_id=v["annotation"])
            review = review_create(
                annotation=annotation,
                reviewer=request.user,
                scores=v["scores"],
                verdict=v["verdict"],
                feedback=v["feedback"],
                exemplary=v["exemplary"],
                exemplar_note=v["exemplar_note"],
                seconds_spent=v["seconds_spent"],
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc  # the one error shape (api_errors)
        return Response(ReviewOutSerializer(review).data, status=status.HTTP_201_CREATED)


class ReviewQueueView(APIView):
    """The caller's review queue (same filters as /review/: project, kind, domain, flag, unreviewed, second)."""

    permission_classes = [IsReviewer]

    @extend_schema(
        parameters=[
            OpenApiParameter("project", int, description="a project id"),
            OpenApiParameter("kind", str, enum=list(Project.Kind.values)),
            OpenApiParameter("domain", str),
            OpenApiParameter("flag", str, description="a telemetry flag, e.g. paste_dominant"),
            OpenApiParameter("unreviewed", str, enum=["1", "on", "true"], description="no review yet"),
            OpenApiParameter("second", str, enum=["1", "on", "true"], description="waiting for a second review"),
            OpenApiParameter(
                "sort",
                str,
                enum=[f"{d}{name}" for name in sel.QUEUE_SORTS for d in ("", "-")],
                description="a column to sort by, - first for descending (annotator: refused under blind review)",
            ),
        ],
        responses=QueueItemSerializer(many=True),
    )
    def get(self, request):
        filters, errors = sel.queue_filters(request.query_params, user=request.user)
        if errors:
            raise serializers.ValidationError(errors)
        rows = sel.review_queue(user=request.user, **filters)
        return Response(QueueItemSerializer(rows, many=True).data)

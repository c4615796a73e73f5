"""REST routes under /api/. Each module adds its routes to the router here."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from annotations import api, api_review

router = DefaultRouter()
router.register("projects", api.ProjectViewSet, basename="project")

urlpatterns = [
    path("", include(router.urls)),
    # Review console (helper F)
    path("reviews/", api_review.MyReviewsView.as_view(), name="api-reviews"),
    path("reviews/queue/", api_review.ReviewQueueView.as_view(), name="api-review-queue"),
]

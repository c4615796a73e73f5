"""REST routes under /api/. Each module adds its routes to the router here."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from annotations import api, api_export, api_projects, api_review

router = DefaultRouter()
router.register("projects", api_projects.ProjectViewSet, basename="project")

urlpatterns = [
    # The annotation loop, import/export and outcomes
    path("projects/<id:project_id>/next/", api.NextTaskView.as_view(), name="api-next-task"),
    path("projects/<id:project_id>/tasks/", api.ProjectTasksImportView.as_view(), name="api-project-tasks"),
    path("projects/<id:project_id>/export/", api_export.ProjectExportView.as_view(), name="api-project-export"),
    path("tasks/<id:task_id>/annotations/", api.SubmitAnnotationView.as_view(), name="api-annotation-submit"),
    path("tasks/<id:task_id>/annotations/draft/", api.DraftAnnotationView.as_view(), name="api-annotation-draft"),
    path("exports/<uuid:uid>/", api_export.ExportDetailView.as_view(), name="api-export"),
    path("exports/<uuid:uid>/download/", api_export.ExportDownloadView.as_view(), name="api-export-download"),
    path("exports/<uuid:uid>/outcomes/", api_export.ExportOutcomesView.as_view(), name="api-export-outcomes"),
    path("", include(router.urls)),
    # Review console
    path("reviews/", api_review.MyReviewsView.as_view(), name="api-reviews"),
    path("reviews/queue/", api_review.ReviewQueueView.as_view(), name="api-review-queue"),
]

"""REST routes under /api/. Each module adds its routes to the router here."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from annotations import api

router = DefaultRouter()
router.register("projects", api.ProjectViewSet, basename="project")

urlpatterns = [
    path("", include(router.urls)),
]

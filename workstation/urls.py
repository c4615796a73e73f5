from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from workstation import views

admin.site.site_header = "Scriptorium administration"
admin.site.site_title = "Scriptorium"
handler404 = "workstation.api_errors.not_found"  # JSON in the one error shape under /api/
handler500 = "workstation.views.server_error"  # the styled page, without the database or a user

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/telemetry/", include("telemetry.api_urls")),
    path("api/", include("annotations.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include("annotations.urls")),
]

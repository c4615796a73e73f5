"""REST routes under /api/telemetry/."""

from django.urls import path

from telemetry import api

app_name = "telemetry-api"

urlpatterns = [
    path("sessions/<uuid:session_id>/events/", api.SessionEventsView.as_view(), name="session-events"),
]

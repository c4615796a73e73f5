from django.urls import path

from telemetry import consumers

websocket_urlpatterns = [
    path("ws/telemetry/<uuid:session_id>/", consumers.TelemetryConsumer.as_asgi()),
]

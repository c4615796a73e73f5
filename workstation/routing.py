from telemetry.routing import websocket_urlpatterns as telemetry_patterns

websocket_urlpatterns = [*telemetry_patterns]

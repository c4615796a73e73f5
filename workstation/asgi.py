import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workstation.settings")
django_asgi_app = get_asgi_application()

# Routing imports models: only after the app registry is ready.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from workstation.routing import websocket_urlpatterns  # noqa: E402

# Everything imported so far lives as long as the process: move it out of the collector's sight.
# Full collections otherwise rescan it all, and those pauses were the tail of telemetry acks
# (bench/ingest.py realistic, PostgreSQL: p99 152 ms -> 65 ms in the same-session A/B).
gc.collect()
gc.freeze()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

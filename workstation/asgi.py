import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workstation.settings")
django_asgi_app = get_asgi_application()

# Routing imports models: only after the app registry is ready.
from urllib.parse import urlsplit  # noqa: E402

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import WebsocketDenier  # noqa: E402
from django.conf import settings  # noqa: E402
from django.http.request import split_domain_port, validate_host  # noqa: E402
from django.utils.http import is_same_domain  # noqa: E402

from workstation.routing import websocket_urlpatterns  # noqa: E402

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(text: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) origin, or None when it is not one ("null", a path...)."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.path or parts.query or parts.username:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def _page_origin(scope, headers: dict[bytes, bytes]) -> tuple[str, str, int] | None:
    """The origin of the page this socket belongs to: the handshake's Host under the http scheme
    matching ws/wss (or the proxy's https header, when settings trust one), if Host is allowed."""
    secure = scope.get("scheme") == "wss"
    proxy = settings.SECURE_PROXY_SSL_HEADER
    if proxy:
        name = proxy[0].removeprefix("HTTP_").replace("_", "-").lower().encode()
        secure = secure or headers.get(name, b"").decode("latin1").split(",")[0].strip() == proxy[1]
    scheme = "https" if secure else "http"
    host = headers.get(b"host", b"").decode("latin1").strip().lower()
    domain, port = split_domain_port(host)
    allowed_hosts = settings.ALLOWED_HOSTS or (["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
    if not domain or not validate_host(domain, allowed_hosts):
        return None
    try:
        number = int(port) if port else _DEFAULT_PORTS[scheme]
    except ValueError:
        return None
    return scheme, domain.strip("[]"), number


def origin_allowed(scope) -> bool:
    """A websocket handshake's Origin is the page's own origin (scheme, host and port) or one of
    settings.CSRF_TRUSTED_ORIGINS (whose "https://*.example.com" covers subdomains, as for CSRF)."""
    headers = dict(scope.get("headers") or [])
    raw = headers.get(b"origin")
    origin = _origin(raw.decode("latin1")) if raw else None
    if origin is None:
        return False
    page = _page_origin(scope, headers)
    if page is not None and origin == page:
        return True
    scheme, host, port = origin
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        wildcard = "://*." in trusted
        pattern = _origin(trusted.replace("://*.", "://", 1))
        if pattern is None or pattern[0] != scheme or pattern[2] != port:
            continue
        if host == pattern[1] or (wildcard and is_same_domain(host, "." + pattern[1])):
            return True
    return False


class OriginValidator:
    """Refuses (HTTP 403 at the handshake) a websocket opened by a page of another origin: the
    socket rides on the session cookie, which the browser sends whatever page opens it."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


# Everything imported so far lives as long as the process: move it out of the collector's sight.
# Full collections otherwise rescan it all, and those pauses were the tail of telemetry acks
# (bench/ingest.py realistic, PostgreSQL: p99 152 ms -> 65 ms in the same-session A/B).
gc.collect()
gc.freeze()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": OriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

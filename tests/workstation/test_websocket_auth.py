"""The telemetry socket refuses callers who are not logged in, and pages of other origins (scheme,
host and port), under the real ASGI app served by daphne."""

import asyncio
import uuid

import pytest
import websockets

from tests.conftest import run_async


def _close_code(url: str, origin: str | None) -> int:
    async def go():
        headers = {"Origin": origin} if origin else None
        try:
            async with websockets.connect(url, additional_headers=headers, open_timeout=5) as ws:
                await asyncio.wait_for(ws.recv(), 5)
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else closed.code
        except websockets.InvalidStatus as refused:
            return refused.response.status_code
        return 0

    return run_async(go)


def test_unauthenticated_websocket_is_refused_with_4401(daphne_server):
    url = f"{daphne_server.ws_url}/ws/telemetry/{uuid.uuid4()}/"
    assert _close_code(url, origin=daphne_server.url) == 4401


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "http://127.0.0.1:9999",  # the page's host on a foreign port
        "https://127.0.0.1:{port}",  # the page's host and port under a foreign scheme
        "http://localhost:{port}",  # another host name of the same machine is another origin
        "null",
        "",
    ],
)
def test_foreign_origin_is_refused(daphne_server, origin):
    url = f"{daphne_server.ws_url}/ws/telemetry/{uuid.uuid4()}/"
    assert _close_code(url, origin=origin.format(port=daphne_server.port) or None) == 403


def test_the_pages_own_origin_is_accepted(daphne_server):
    url = f"{daphne_server.ws_url}/ws/telemetry/{uuid.uuid4()}/"
    assert _close_code(url, origin=daphne_server.url) == 4401  # past the origin check: not logged in


def test_an_origin_in_csrf_trusted_origins_is_accepted(transactional_db):
    from tests.conftest import DaphneServer

    server = DaphneServer(extra_env={"CSRF_TRUSTED_ORIGINS": "https://annotate.example.org,https://*.example.net"})
    server.start()
    try:
        url = f"{server.ws_url}/ws/telemetry/{uuid.uuid4()}/"
        assert _close_code(url, origin="https://annotate.example.org") == 4401
        assert _close_code(url, origin="https://team.example.net") == 4401
        assert _close_code(url, origin="http://annotate.example.org") == 403
        assert _close_code(url, origin="https://annotate.example.org:8443") == 403
    finally:
        server.stop()


def _scope(origin: str | None, host: str = "annotate.example.org", scheme: str = "wss", **headers) -> dict:
    pairs = [(b"host", host.encode())] + ([(b"origin", origin.encode())] if origin is not None else [])
    pairs += [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return {"type": "websocket", "scheme": scheme, "headers": pairs}


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [
        (_scope("https://annotate.example.org"), True),
        (_scope("https://annotate.example.org:443"), True),  # the default port, spelled out
        (_scope("http://annotate.example.org"), False),  # wss belongs to an https page
        (_scope("https://annotate.example.org:8443"), False),
        (_scope("https://annotate.example.org.evil.example"), False),
        (_scope("https://annotate.example.org", host="evil.example"), False),  # Host not allowed
        (_scope("http://annotate.example.org:8000", host="annotate.example.org:8000", scheme="ws"), True),
        (_scope("http://annotate.example.org:8000/path", host="annotate.example.org:8000", scheme="ws"), False),
        (_scope("https://annotate.example.org", scheme="ws"), False),
        (_scope("https://annotate.example.org", scheme="ws", x_forwarded_proto="https"), True),  # behind the proxy
        (_scope(None), False),
        (_scope("https://annotate.example.org:99999"), False),
    ],
)
def test_the_origin_rule_compares_scheme_host_and_port(settings, scope, allowed):
    from workstation.asgi import origin_allowed

    settings.ALLOWED_HOSTS = ["annotate.example.org"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert origin_allowed(scope) is allowed

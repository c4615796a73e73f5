"""The telemetry socket refuses callers who are not logged in (real ASGI app under daphne)."""

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


@pytest.mark.parametrize("origin", ["http://evil.example"])
def test_foreign_origin_is_refused(daphne_server, origin):
    url = f"{daphne_server.ws_url}/ws/telemetry/{uuid.uuid4()}/"
    assert _close_code(url, origin=origin) == 403

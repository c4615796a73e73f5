"""The telemetry websocket (protocol: docs/telemetry-events.md)."""

import json

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from telemetry import ingest
from telemetry.models import EditorSession
from telemetry.ratelimit import TokenBucket, rate_limited_message

CLOSE_NOT_LOGGED_IN = 4401
CLOSE_NOT_OWNER = 4403
CLOSE_UNKNOWN_SESSION = 4404
CLOSE_SESSION_CLOSED = 4409


@database_sync_to_async
def _session_for(session_id) -> EditorSession | None:
    return EditorSession.objects.filter(pk=session_id).first()


class TelemetryConsumer(AsyncWebsocketConsumer):
    # No channel layer: this socket only talks to its own client, and a layer would add a
    # receive task (and, with Redis, a connection) per editor.
    channel_layer_alias = None

    async def __call__(self, scope, receive, send):
        # One client and no channel layer: read its messages in a plain loop (channels' generic loop
        # wraps every receive in a new task plus asyncio.wait, a measurable cost per frame).
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    async def dispatch(self, message):
        # Channels' dispatch hops to a thread to close stale database connections before every
        # message; our database work runs in that thread anyway and manages its connection there
        # (see ingest.frame_batcher), so skip the extra hop per frame.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        # Accept first: a close before accept becomes an HTTP 403 and the client never sees our code.
        await self.accept()
        self.session = None
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_LOGGED_IN)
            return
        session = await _session_for(self.scope["url_route"]["kwargs"]["session_id"])
        if session is None:
            await self.close(code=CLOSE_UNKNOWN_SESSION)
            return
        if session.user_id != user.pk:
            await self.close(code=CLOSE_NOT_OWNER)
            return
        if not ingest.session_accepts_events(session):
            await self.close(code=CLOSE_SESSION_CLOSED)
            return
        self.session = session
        self.bucket = TokenBucket(settings.TELEMETRY_RATE_LIMIT_FRAMES_PER_S)
        await self._reply({"type": "ready", "upto": session.contiguous_upto})

    async def receive(self, text_data=None, bytes_data=None):
        if self.session is None:  # refused; the close is on its way
            return
        if not self.bucket.take():
            await self._reply(rate_limited_message(self.bucket))
            return
        try:
            events = ingest.frame_parse(text_data if text_data is not None else bytes_data)
        except ingest.FrameError as exc:
            await self._reply(exc.as_message())
            return
        try:
            result = await ingest.frame_batcher().ingest(session=self.session, events=events)
        except EditorSession.DoesNotExist:
            await self.close(code=CLOSE_UNKNOWN_SESSION)
            return
        for message in result.messages():
            await self._reply(message)

    async def _reply(self, message: dict) -> None:
        await self.send(text_data=json.dumps(message))

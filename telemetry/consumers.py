"""The telemetry websocket (protocol in ARCHITECTURE.md)."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

CLOSE_NOT_LOGGED_IN = 4401
CLOSE_UNKNOWN_SESSION = 4404


class TelemetryConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        # Accept first: a close before accept becomes an HTTP 403 and the client never sees our code.
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_LOGGED_IN)
            return
        await self.close(code=CLOSE_UNKNOWN_SESSION)

"""HTTP fallback for the telemetry protocol: the same frames and answers as the websocket.

For outside clients without websockets. One POST carries one frame; prefer the socket (or at least
whole frames per POST): a POST per event is the naive design the ingest benchmark measures against.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from telemetry import ingest
from telemetry.models import EditorSession
from telemetry.ratelimit import HTTP_BUCKETS, rate_limited_message


class RawJSONParser(BaseParser):
    """Leaves the body unparsed: the view hands the raw text to the frame parser, which enforces
    the same size limit and error codes as the socket."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        return {}


def _error(code: str, detail: str, http_status: int) -> Response:
    return Response({"type": "error", "code": code, "detail": detail}, status=http_status)


class SessionEventsView(APIView):
    parser_classes = [RawJSONParser]

    @extend_schema(
        request={"application/json": {"type": "object"}},
        responses={
            200: OpenApiResponse(description='{"type": "ack", "upto": K} (plus "errors" for quarantined events)'),
            400: OpenApiResponse(description="bad_json, bad_frame or too_large: nothing stored"),
            403: OpenApiResponse(description="not logged in, or not the session's owner"),
            404: OpenApiResponse(description="unknown session"),
            409: OpenApiResponse(description="session closed"),
            429: OpenApiResponse(description="rate_limited (with retry_ms): nothing stored, resend later"),
        },
        summary="Send one frame of telemetry events",
    )
    def post(self, request: Request, session_id) -> Response:
        session = EditorSession.objects.filter(pk=session_id).first()
        if session is None:
            return _error("unknown_session", "no such editor session", status.HTTP_404_NOT_FOUND)
        if session.user_id != request.user.pk:
            return _error("not_owner", "this editor session belongs to someone else", status.HTTP_403_FORBIDDEN)
        if not ingest.session_accepts_events(session):
            return _error("session_closed", "this editor session is closed", status.HTTP_409_CONFLICT)
        # The socket's limit, per session and user: a client gains nothing by switching to POSTs.
        refused = HTTP_BUCKETS.take((session.pk, request.user.pk))
        if refused is not None:
            body = rate_limited_message(refused)
            retry_after = str(max(1, -(-body["retry_ms"] // 1000)))
            return Response(body, status=status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": retry_after})
        try:
            events = ingest.frame_parse(request.body)
        except ingest.FrameError as exc:
            return Response(exc.as_message(), status=status.HTTP_400_BAD_REQUEST)
        result = ingest.events_ingest(session=session, events=events)
        messages = result.messages()
        body = messages[-1]
        if len(messages) > 1:
            body = {**body, "errors": messages[:-1]}
        return Response(body)

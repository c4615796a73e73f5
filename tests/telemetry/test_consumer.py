"""The telemetry websocket, spoken by a client as docs/telemetry-events.md describes the protocol."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings
from django.utils import timezone

from annotations.models import Annotation
from telemetry.models import EditorSession, Event, QuarantinedEvent
from telemetry.routing import websocket_urlpatterns
from telemetry.services import editor_session_open

pytestmark = pytest.mark.django_db(transaction=True)


def key(seq):
    return {"seq": seq, "t": seq * 100.0, "k": "key", "cls": "letter", "field": "text"}


def frame(*events):
    return json.dumps({"type": "events", "events": list(events)})


def _app(user):
    router = URLRouter(websocket_urlpatterns)

    async def app(scope, receive, send):
        return await router({**scope, "user": user}, receive, send)

    return app


async def _connect(user, session_id):
    comm = WebsocketCommunicator(_app(user), f"/ws/telemetry/{session_id}/")
    connected, _ = await comm.connect()
    assert connected  # always accepted first, so that a refusal carries its code
    return comm


async def _refusal_code(user, session_id) -> int:
    comm = await _connect(user, session_id)
    out = await comm.receive_output(timeout=5)
    await comm.disconnect()  # the client hangs up after the refusal, as a browser does
    assert out["type"] == "websocket.close"
    return out["code"]


async def _answers(comm, n):
    return [await comm.receive_json_from(timeout=5) for _ in range(n)]


def stored_seqs(session):
    return list(Event.objects.filter(session=session).order_by("seq").values_list("seq", flat=True))


def test_refusals_carry_their_codes(session, annotator, other_annotator):
    import uuid

    async def codes():
        return [
            await _refusal_code(AnonymousUser(), session.id),
            await _refusal_code(annotator, uuid.uuid4()),
            await _refusal_code(other_annotator, session.id),
        ]

    assert asyncio.run(codes()) == [4401, 4404, 4403]
    EditorSession.objects.filter(pk=session.pk).update(closed_at=timezone.now())
    assert asyncio.run(_refusal_code(annotator, session.id)) == 4409


def test_ready_upto_after_a_partial_store_and_the_gap_filled_on_reconnect(session, annotator):
    async def first():
        comm = await _connect(annotator, session.id)
        ready = await comm.receive_json_from(timeout=5)
        await comm.send_to(text_data=frame(key(1), key(2), key(3), key(5)))
        ack = await comm.receive_json_from(timeout=5)
        await comm.disconnect()
        return ready, ack

    assert asyncio.run(first()) == ({"type": "ready", "upto": 0}, {"type": "ack", "upto": 3})

    async def second():
        comm = await _connect(annotator, session.id)
        ready = await comm.receive_json_from(timeout=5)
        await comm.send_to(text_data=frame(key(4), key(5), key(6)))
        ack = await comm.receive_json_from(timeout=5)
        await comm.disconnect()
        return ready, ack

    assert asyncio.run(second()) == ({"type": "ready", "upto": 3}, {"type": "ack", "upto": 6})
    assert stored_seqs(session) == [1, 2, 3, 4, 5, 6]


def test_duplicate_seqs_are_stored_once(session, annotator):
    async def go():
        comm = await _connect(annotator, session.id)
        await comm.receive_json_from(timeout=5)
        acks = []
        for events in ([key(1), key(2)], [key(1), key(2)], [key(2), key(3), key(3)]):
            await comm.send_to(text_data=frame(*events))
            acks.append(await comm.receive_json_from(timeout=5))
        await comm.disconnect()
        return acks

    assert asyncio.run(go()) == [{"type": "ack", "upto": n} for n in (2, 2, 3)]
    assert stored_seqs(session) == [1, 2, 3]


@override_settings(TELEMETRY_MAX_EVENTS_PER_FRAME=3, TELEMETRY_MAX_FRAME_BYTES=2000)
def test_malformed_frames_get_errors_and_the_connection_stays_usable(session, annotator):
    bad_frames = [
        ("{not json", "bad_json"),
        (json.dumps({"type": "hello"}), "bad_frame"),
        (json.dumps({"type": "events", "events": "many"}), "bad_frame"),
        (json.dumps([1, 2]), "bad_frame"),
        (frame(key(1), key(2), key(3), key(4)), "too_large"),
        (frame({**key(1), "k": "rev", "text": "x" * 3000, "why": "pause"}), "too_large"),
    ]

    async def go():
        comm = await _connect(annotator, session.id)
        await comm.receive_json_from(timeout=5)
        errors = []
        for text, _ in bad_frames:
            await comm.send_to(text_data=text)
            errors.append(await comm.receive_json_from(timeout=5))
        await comm.send_to(text_data=frame(key(1), key(2)))
        ack = await comm.receive_json_from(timeout=5)
        await comm.disconnect()
        return errors, ack

    errors, ack = asyncio.run(go())
    assert [(e["type"], e["code"]) for e in errors] == [("error", code) for _, code in bad_frames]
    assert all(e["detail"] for e in errors)
    assert ack == {"type": "ack", "upto": 2}
    assert stored_seqs(session) == [1, 2]


def test_invalid_events_are_quarantined_and_their_neighbours_stored(session, annotator):
    async def go():
        comm = await _connect(annotator, session.id)
        await comm.receive_json_from(timeout=5)
        await comm.send_to(
            text_data=frame(key(1), {**key(2), "char": "q"}, {"seq": 3, "t": 300, "k": "teleport"}, key(4))
        )
        answers = await _answers(comm, 2)
        await comm.disconnect()
        return answers

    error, ack = asyncio.run(go())
    assert error["type"] == "error" and error["code"] == "bad_events" and error["seqs"] == [2, 3]
    assert "must not carry the character" in error["detail"] and "unknown kind" in error["detail"]
    assert ack == {"type": "ack", "upto": 4}
    assert stored_seqs(session) == [1, 4]
    reasons = dict(QuarantinedEvent.objects.filter(session=session).values_list("seq", "reason"))
    assert set(reasons) == {2, 3}
    assert "unknown kind" in reasons[3]


@override_settings(TELEMETRY_RATE_LIMIT_FRAMES_PER_S=0.01)
def test_frames_over_the_rate_limit_are_refused_and_not_stored(session, annotator):
    async def go():
        comm = await _connect(annotator, session.id)
        await comm.receive_json_from(timeout=5)
        answers = []
        for seq in (1, 2):  # one frame per 100 s: the second is over the limit
            await comm.send_to(text_data=frame(key(seq)))
            answers.append(await comm.receive_json_from(timeout=5))
        await comm.disconnect()
        return answers

    first, second = asyncio.run(go())
    assert first == {"type": "ack", "upto": 1}
    assert second["type"] == "error" and second["code"] == "rate_limited" and second["retry_ms"] > 0
    assert stored_seqs(session) == [1]


def test_late_events_after_submit_are_taken_while_the_final_seq_is_owed(session, annotator):
    from telemetry.services import editor_sessions_finish

    async def go():
        comm = await _connect(annotator, session.id)
        await comm.receive_json_from(timeout=5)
        await comm.send_to(text_data=frame(key(1)))
        first = await comm.receive_json_from(timeout=5)
        await sync_to_async(editor_sessions_finish)(annotation=session.annotation, final_seq=3)
        await comm.send_to(text_data=frame(key(2), key(3)))
        late = await comm.receive_json_from(timeout=5)
        await comm.disconnect()
        return first, late

    assert asyncio.run(go()) == ({"type": "ack", "upto": 1}, {"type": "ack", "upto": 3})
    assert stored_seqs(session) == [1, 2, 3]
    # Everything owed has arrived: the closed session now refuses new connections.
    assert asyncio.run(_refusal_code(annotator, session.id)) == 4409


def test_a_logged_in_browser_gets_ready_and_ack_through_the_real_server(daphne_server, session, annotator):
    """The whole stack under daphne: origin check, session cookie, consumer, ingest."""
    import websockets
    from django.test import Client

    from tests.conftest import run_async

    client = Client()
    client.force_login(annotator)
    cookie = client.cookies["sessionid"].value

    async def go():
        url = f"{daphne_server.ws_url}/ws/telemetry/{session.id}/"
        headers = {"Origin": daphne_server.url, "Cookie": f"sessionid={cookie}"}
        async with websockets.connect(url, additional_headers=headers, open_timeout=10) as ws:
            ready = json.loads(await asyncio.wait_for(ws.recv(), 10))
            await ws.send(frame(key(1), key(2), key(3)))
            ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
        return ready, ack

    assert run_async(go) == ({"type": "ready", "upto": 0}, {"type": "ack", "upto": 3})
    assert stored_seqs(session) == [1, 2, 3]


def test_a_deeply_nested_frame_gets_bad_frame_and_the_socket_keeps_working(session, annotator):
    deep = '{"type": "events", "events": [' + "[" * 100_000 + "]" * 100_000 + "]}"

    async def go():
        comm = await _connect(annotator, session.id)
        await comm.receive_json_from(timeout=5)
        await comm.send_to(text_data=deep)
        error = await comm.receive_json_from(timeout=5)
        await comm.send_to(text_data=frame(key(1), key(2)))
        ack = await comm.receive_json_from(timeout=5)
        await comm.disconnect()
        return error, ack

    error, ack = asyncio.run(go())
    assert error["type"] == "error" and error["code"] == "bad_frame" and "nested" in error["detail"]
    assert ack == {"type": "ack", "upto": 2}
    assert stored_seqs(session) == [1, 2]


def test_a_slow_late_refresh_does_not_hold_up_another_sockets_ack(
    session, annotator, other_annotator, make_project, monkeypatch
):
    """One annotator's late events after submit must not stall everyone's acks: the recompute runs
    on the refresher's own thread, while the shared batcher keeps writing other sockets' frames."""
    import threading

    from telemetry import refresh, signals
    from telemetry.models import AnnotationSignals
    from telemetry.services import editor_sessions_finish

    worker = refresh.SignalsRefresher(interval_s=30)
    monkeypatch.setattr(refresh, "REFRESHER", worker)
    started, release = threading.Event(), threading.Event()
    compute = signals.features_compute

    def slow_compute(*args, **kwargs):
        started.set()
        release.wait(20)  # the recompute of a huge annotation
        return compute(*args, **kwargs)

    monkeypatch.setattr(signals, "features_compute", slow_compute)

    project = make_project(members=[other_annotator], tasks=1, slug="other")
    other = editor_session_open(
        annotation=Annotation.objects.create(task=project.tasks.first(), annotator=other_annotator),
        user=other_annotator,
    )
    Annotation.objects.filter(pk=session.annotation_id).update(state=Annotation.State.SUBMITTED)
    editor_sessions_finish(annotation=session.annotation, final_seq=5)

    async def go():
        late = await _connect(annotator, session.id)
        await late.receive_json_from(timeout=5)
        busy = await _connect(other_annotator, other.id)
        await busy.receive_json_from(timeout=5)
        await late.send_to(text_data=frame(key(1), key(2)))
        late_ack = await late.receive_json_from(timeout=5)
        assert await sync_to_async(started.wait)(10)  # the late frame's recompute is running
        acks = []
        for seq in (1, 2, 3):  # while the slow recompute is still running
            await busy.send_to(text_data=frame(key(seq)))
            acks.append(await busy.receive_json_from(timeout=5))
        still_running = not release.is_set()
        release.set()
        await late.disconnect()
        await busy.disconnect()
        return late_ack, acks, still_running

    try:
        late_ack, acks, still_running = asyncio.run(go())
    finally:
        release.set()
    assert late_ack == {"type": "ack", "upto": 2}
    assert acks == [{"type": "ack", "upto": n} for n in (1, 2, 3)] and still_running
    assert worker.wait_idle(10)
    assert AnnotationSignals.objects.get(annotation_id=session.annotation_id).event_count == 2


def test_a_frame_over_the_servers_message_cap_gets_too_large_and_the_socket_keeps_working(
    daphne_server, session, annotator
):
    """daphne (autobahn) drops the TCP connection of a message over its cap (1 MiB by default): the
    server runs with a larger cap, so the protocol's own answer reaches the client."""
    import websockets
    from django.test import Client

    from tests.conftest import run_async

    client = Client()
    client.force_login(annotator)
    cookie = client.cookies["sessionid"].value
    huge = frame({**key(1), "k": "rev", "text": "x" * (3 * 512 * 1024), "why": "pause"})  # 1.5 MiB
    assert len(huge) > 1024 * 1024

    async def go():
        url = f"{daphne_server.ws_url}/ws/telemetry/{session.id}/"
        headers = {"Origin": daphne_server.url, "Cookie": f"sessionid={cookie}"}
        async with websockets.connect(url, additional_headers=headers, open_timeout=10, max_size=None) as ws:
            await asyncio.wait_for(ws.recv(), 10)
            await ws.send(huge)
            refused = json.loads(await asyncio.wait_for(ws.recv(), 10))
            await ws.send(frame(key(1), key(2)))
            ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
        return refused, ack

    refused, ack = run_async(go)
    assert refused["type"] == "error" and refused["code"] == "too_large" and "limit" in refused["detail"]
    assert ack == {"type": "ack", "upto": 2}
    assert stored_seqs(session) == [1, 2]

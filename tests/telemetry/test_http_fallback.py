"""POST /api/telemetry/sessions/<uuid>/events/: the socket's frames and answers over plain HTTP."""

import json
import uuid

from django.utils import timezone
from rest_framework.test import APIClient

from telemetry.models import EditorSession, Event, QuarantinedEvent


def key(seq, **extra):
    return {"seq": seq, "t": seq * 10.0, "k": "key", "cls": "letter", **extra}


def post(client, session_id, body):
    text = body if isinstance(body, str) else json.dumps(body)
    return client.post(f"/api/telemetry/sessions/{session_id}/events/", text, content_type="application/json")


def logged_in(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_anonymous_callers_and_other_users_are_refused(session, other_annotator):
    body = {"type": "events", "events": [key(1)]}
    assert post(APIClient(), session.id, body).status_code in (401, 403)
    refused = post(logged_in(other_annotator), session.id, body)
    assert refused.status_code == 403 and refused.json()["code"] == "not_owner"
    assert not Event.objects.exists()


def test_unknown_and_closed_sessions(session, annotator):
    body = {"type": "events", "events": [key(1)]}
    assert post(logged_in(annotator), uuid.uuid4(), body).status_code == 404
    EditorSession.objects.filter(pk=session.pk).update(closed_at=timezone.now())
    answer = post(logged_in(annotator), session.id, body)
    assert answer.status_code == 409 and answer.json()["code"] == "session_closed"


def test_a_frame_is_stored_and_acknowledged_like_on_the_socket(session, annotator):
    client = logged_in(annotator)
    answer = post(client, session.id, {"type": "events", "events": [key(1), key(2), key(4)]})
    assert answer.status_code == 200 and answer.json() == {"type": "ack", "upto": 2}
    again = post(client, session.id, {"type": "events", "events": [key(2), key(3)]})
    assert again.json() == {"type": "ack", "upto": 4}
    assert list(Event.objects.filter(session=session).order_by("seq").values_list("seq", flat=True)) == [1, 2, 3, 4]


def test_bad_frames_store_nothing_and_say_why(session, annotator):
    client = logged_in(annotator)
    bad_json = post(client, session.id, "{oops")
    assert bad_json.status_code == 400 and bad_json.json()["code"] == "bad_json"
    bad_frame = post(client, session.id, {"type": "events"})
    assert bad_frame.status_code == 400 and bad_frame.json()["code"] == "bad_frame"
    too_many = post(client, session.id, {"type": "events", "events": [key(i) for i in range(1, 502)]})
    assert too_many.status_code == 400 and too_many.json()["code"] == "too_large"
    assert not Event.objects.exists()


def test_invalid_events_are_quarantined_and_reported_beside_the_ack(session, annotator):
    answer = post(logged_in(annotator), session.id, {"type": "events", "events": [key(1), key(2, key="a"), key(3)]})
    assert answer.status_code == 200
    body = answer.json()
    assert body["type"] == "ack" and body["upto"] == 3
    (error,) = body["errors"]
    assert error["code"] == "bad_events" and error["seqs"] == [2]
    assert QuarantinedEvent.objects.get(session=session).seq == 2


def test_session_cookie_clients_need_the_csrf_token(session, annotator):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(annotator)
    refused = post(client, session.id, {"type": "events", "events": [key(1)]})
    assert refused.status_code == 403
    client.get("/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    answer = client.post(
        f"/api/telemetry/sessions/{session.id}/events/",
        json.dumps({"type": "events", "events": [key(1)]}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert answer.status_code == 200 and answer.json() == {"type": "ack", "upto": 1}

"""Hostile and absurd telemetry input (issue 8): every bad event is quarantined once with its reason,
every valid one beside it is stored, nothing is a 500 or a dead socket."""

import json
import math
import uuid

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from annotations import hooks
from annotations.models import Annotation
from telemetry import ingest
from telemetry.models import AnnotationSignals, EditorSession, Event, QuarantinedEvent
from telemetry.services import editor_session_open, editor_sessions_finish

DAY_MS = 24 * 3600 * 1000


def key(seq, **extra):
    return {"seq": seq, "t": seq * 10.0, "k": "key", "cls": "letter", **extra}


def rev(seq, text, **extra):
    return {"seq": seq, "t": seq * 10.0, "k": "rev", "field": "text", "text": text, "why": "pause", **extra}


def stored_seqs(session):
    return list(Event.objects.filter(session=session).order_by("seq").values_list("seq", flat=True))


def post(client, session_id, body):
    text = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(f"/api/telemetry/sessions/{session_id}/events/", text, content_type="application/json")


def logged_in(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- 2: text that cannot be stored or shown --------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        rev(2, "before \ud800 after"),
        rev(2, "nul \x00 inside"),
        rev(2, "fine", field="te\udc00xt"),
        key(2, field="\ud83d"),
        {"seq": 2, "t": 5, "k": "input", "it": "insert\ud800Text", "pos": 0, "d": 1, "len": 1},
        {"seq": 2, "t": 5, "k": "nav", "ref": "r\x00", "action": "open"},
    ],
    ids=["rev-text", "rev-nul", "rev-field", "key-field", "input-type", "nav-ref"],
)
def test_unstorable_text_in_any_field_is_quarantined_with_the_reason(session, event):
    # The wire form: JSON's \ud800 escape, as a browser or a hostile client sends it.
    frame = json.dumps({"type": "events", "events": [key(1), event, key(3)]})
    result = ingest.events_ingest(session=session, events=ingest.frame_parse(frame))
    assert result.upto == 3
    assert stored_seqs(session) == [1, 3]
    (q,) = QuarantinedEvent.objects.filter(session=session)
    assert q.seq == 2
    assert "surrogate" in q.reason or "NUL" in q.reason
    assert [m.get("code", m["type"]) for m in result.messages()] == ["bad_events", "ack"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL refuses such text at the door")
def test_the_review_page_shows_stored_unencodable_text_instead_of_failing(
    client, make_project, annotator, reviewer, django_capture_on_commit_callbacks
):
    project = make_project(members=[annotator, reviewer], tasks=1)
    annotation = Annotation.objects.create(
        task=project.tasks.first(), annotator=annotator, state=Annotation.State.SUBMITTED, result={"text": "ok"}
    )
    session = editor_session_open(annotation=annotation, user=annotator)
    # Stored before this check existed.
    Event.objects.create(
        session=session, seq=1, t=10, kind="rev", data={"field": "text", "text": "a\ud800b", "why": "pause"}
    )
    client.force_login(reviewer)
    page = client.get(f"/review/{annotation.pk}/")
    assert page.status_code == 200
    assert "a\ufffdb" in page.content.decode()


# --- 3: final_seq bounded by what the session holds ----------------------------------------------


def test_an_absurd_final_seq_is_clamped_to_what_can_still_be_in_flight(session):
    ingest.events_ingest(session=session, events=[key(1), key(2), key(3)])
    editor_sessions_finish(annotation=session.annotation, final_seq=2_147_483_647)
    session.refresh_from_db()
    assert session.is_closed
    assert session.final_seq == 3 + ingest.in_flight_allowance()
    assert ingest.session_accepts_events(session)  # still owed: the bounded wait is running


def test_an_honest_final_seq_is_kept(session):
    ingest.events_ingest(session=session, events=[key(1), key(2)])
    editor_sessions_finish(annotation=session.annotation, final_seq=5)
    session.refresh_from_db()
    assert session.final_seq == 5


@pytest.mark.parametrize("final_seq", [2**63, 2**64 + 7, 10**30, -1, 0])
def test_any_integer_final_seq_closes_the_session_without_an_error(session, final_seq):
    ingest.events_ingest(session=session, events=[key(1)])
    editor_sessions_finish(annotation=session.annotation, final_seq=final_seq)
    session.refresh_from_db()
    assert session.is_closed
    assert session.final_seq is None or 1 <= session.final_seq <= 1 + ingest.in_flight_allowance()


def test_a_closed_session_waits_for_its_missing_events_only_for_a_bounded_time(session):
    ingest.events_ingest(session=session, events=[key(1)])
    editor_sessions_finish(annotation=session.annotation, final_seq=50)
    session.refresh_from_db()
    assert ingest.session_accepts_events(session)
    long_ago = timezone.now() - timezone.timedelta(seconds=ingest.late_events_wait_s() + 1)
    EditorSession.objects.filter(pk=session.pk).update(closed_at=long_ago)
    session.refresh_from_db()
    assert not ingest.session_accepts_events(session)


def test_a_huge_final_seq_through_the_submit_hook_is_not_an_error(session):
    Annotation.objects.filter(pk=session.annotation_id).update(state=Annotation.State.SUBMITTED)
    annotation = Annotation.objects.get(pk=session.annotation_id)
    hooks.call_all(hooks.ANNOTATION_SUBMITTED, annotation=annotation, final_seq=2**63)
    session.refresh_from_db()
    assert session.is_closed


def test_late_events_are_refreshed_off_the_ingest_path_at_most_once_per_interval(session, monkeypatch):
    from telemetry import refresh

    runs = []
    refresher = refresh.SignalsRefresher(interval_s=30, clock=lambda: now[0], worker=False)
    monkeypatch.setattr(refresh, "REFRESHER", refresher)
    monkeypatch.setattr(refresh, "signals_refresh", lambda *, annotation_id: runs.append(annotation_id))
    now = [1000.0]

    ingest.events_ingest(session=session, events=[key(1)])
    Annotation.objects.filter(pk=session.annotation_id).update(state=Annotation.State.SUBMITTED)
    editor_sessions_finish(annotation=session.annotation, final_seq=20)
    session.refresh_from_db()

    ingest.events_ingest(session=session, events=[key(2)])
    assert runs == []  # scheduled, not run inline on the ingest path
    refresher.run_due()
    assert runs == [session.annotation_id]

    now[0] += 1
    for seq in (3, 4, 5):
        ingest.events_ingest(session=session, events=[key(seq)])
    refresher.run_due()
    assert runs == [session.annotation_id]  # within the interval: nothing more yet

    now[0] += 30
    refresher.run_due()
    assert runs == [session.annotation_id] * 2  # the three late frames: one recompute
    refresher.run_due()
    assert runs == [session.annotation_id] * 2


# --- 4: numbers in a sane range -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (key(1, t=1e308), "t"),
        (key(1, t=8 * DAY_MS), "t"),
        ({"seq": 1, "t": 5, "k": "input", "it": "insertText", "pos": 10**15, "d": 1, "len": 1}, "pos"),
        ({"seq": 1, "t": 5, "k": "input", "it": "insertText", "pos": 0, "d": -(10**12), "len": 1}, "d"),
        ({"seq": 1, "t": 5, "k": "input", "it": "insertText", "pos": 0, "d": 1, "len": 2**70}, "len"),
        ({"seq": 1, "t": 5, "k": "paste", "len": 10**18, "src": "external", "h": "ab"}, "len"),
        ({"seq": 1, "t": 5, "k": "comp", "phase": "end", "len": 10**12}, "len"),
        ({"seq": 1, "t": 5, "k": "nav", "ref": 2**64, "action": "open"}, "ref"),
        ({"seq": 1, "t": 5, "k": "scroll", "ref": "r", "frac": 1e308}, "frac"),
    ],
)
def test_out_of_range_numbers_are_quarantined_naming_the_field(event, field):
    problem = ingest.event_problem(event)
    assert problem is not None
    assert repr(field) in problem or problem.startswith(f"{field} ")


def test_a_week_of_ms_is_still_in_range():
    assert ingest.event_problem(key(1, t=7 * DAY_MS)) is None


def test_a_failing_signal_computation_leaves_its_reason_on_the_review_page(
    client, make_project, annotator, reviewer, monkeypatch
):
    from telemetry import signals

    project = make_project(members=[annotator, reviewer], tasks=1)
    annotation = Annotation.objects.create(
        task=project.tasks.first(), annotator=annotator, state=Annotation.State.SUBMITTED, result={"text": "ok"}
    )
    session = editor_session_open(annotation=annotation, user=annotator)
    ingest.events_ingest(session=session, events=[key(1), key(2)])

    def overflow(*args, **kwargs):
        raise OverflowError("math range error")

    monkeypatch.setattr(signals, "features_compute", overflow)
    evidence = hooks.call_first(hooks.REVIEW_EVIDENCE, annotation=annotation)
    assert "math range error" in evidence["failure"]
    client.force_login(reviewer)
    page = client.get(f"/review/{annotation.pk}/")
    assert page.status_code == 200
    assert "math range error" in page.content.decode()
    assert not AnnotationSignals.objects.filter(annotation=annotation).exists()


# --- 7 / 8: deep nesting ------------------------------------------------------------------------


def test_a_deeply_nested_frame_is_a_bad_frame_naming_the_nesting():
    deep = '{"type": "events", "events": [' + "[" * 100_000 + "]" * 100_000 + "]}"
    with pytest.raises(ingest.FrameError) as refused:
        ingest.frame_parse(deep)
    assert refused.value.code == "bad_frame" and "nested" in refused.value.detail


def test_a_deeply_nested_http_body_is_a_400_bad_frame(session, annotator):
    client = logged_in(annotator)
    answer = post(client, session.id, "[" * 50_000 + "]" * 50_000)
    assert answer.status_code == 400
    assert answer.json()["code"] == "bad_frame" and "nested" in answer.json()["detail"]
    nested_event = {"type": "events", "events": [key(1), {"seq": 2, "t": 1, "k": "blur", "field": [[[[[[[]]]]]]]}]}
    ok = post(client, session.id, nested_event)
    assert ok.status_code == 200 and ok.json()["upto"] == 2
    assert stored_seqs(session) == [1]


# --- 10: the HTTP fallback is rate limited like the socket -------------------------------------------


@override_settings(TELEMETRY_RATE_LIMIT_FRAMES_PER_S=0.01)
def test_the_http_fallback_refuses_frames_over_the_rate_limit(session, annotator):
    client = logged_in(annotator)
    first = post(client, session.id, {"type": "events", "events": [key(1)]})
    assert first.status_code == 200
    second = post(client, session.id, {"type": "events", "events": [key(2)]})
    assert second.status_code == 429
    body = second.json()
    assert body["type"] == "error" and body["code"] == "rate_limited" and body["retry_ms"] > 0 and body["detail"]
    assert stored_seqs(session) == [1]


def test_the_socket_and_the_http_fallback_share_one_token_bucket():
    from telemetry import consumers, ratelimit

    assert consumers.TokenBucket is ratelimit.TokenBucket


# --- 14: a resent bad event is stored once --------------------------------------------------------


def test_a_resent_bad_event_is_quarantined_once_and_reported_every_time(session):
    frame = [key(1), key(2, char="x"), {"t": 1, "k": "blur"}]
    answers = [ingest.events_ingest(session=session, events=[dict(e) for e in frame]) for _ in range(3)]
    assert all(len(a.quarantined) == 2 for a in answers)
    assert all(a.messages()[0]["code"] == "bad_events" for a in answers)
    assert QuarantinedEvent.objects.filter(session=session, seq=2).count() == 1
    assert QuarantinedEvent.objects.filter(session=session, seq=None).count() == 1
    other = editor_session_open(annotation=session.annotation, user=session.user)
    ingest.events_ingest(session=other, events=[key(2, char="x")])
    assert QuarantinedEvent.objects.filter(seq=2).count() == 2  # once per session


# --- property: the parser and validator never fail in an unnamed way --------------------------------

_text = st.text(alphabet=st.characters(codec=None, categories=None), max_size=12) | st.sampled_from(
    ["\ud800", "\udfff", "\x00", "a\x00b", "\u2028", "\x1b[31m"]
)
_number = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([1e308, -1e308, 2**63, 2**31, 0, 1])
)
_scalar = st.none() | st.booleans() | _number | _text
_json = st.recursive(
    _scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3), max_leaves=12
)
_field_names = st.sampled_from(
    [
        "seq",
        "t",
        "k",
        "cls",
        "it",
        "pos",
        "d",
        "len",
        "src",
        "h",
        "field",
        "phase",
        "state",
        "ref",
        "action",
        "frac",
        "text",
        "why",
        "trusted",
        "char",
    ]
)
_kinds = st.sampled_from(sorted(ingest.KINDS)) | _text
_event = st.fixed_dictionaries(
    {"seq": st.integers(min_value=100, max_value=2**40) | _scalar, "t": _number, "k": _kinds},
    optional={},
).flatmap(lambda base: st.dictionaries(_field_names, _json, max_size=5).map(lambda extra: {**extra, **base}))


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    bad=st.lists(_event | _json, max_size=6),
    shape=st.sampled_from(["events", "not-a-dict", "deep", "no-type", "bytes"]),
)
def test_property_frames_never_fail_unnamed_and_valid_events_beside_bad_ones_are_stored(session, bad, shape):
    good = [key(1), rev(2, "fine text \U0001f600")]
    events = [*good, *bad]
    body = {"type": "events", "events": events}
    if shape == "not-a-dict":
        text = json.dumps(events)
    elif shape == "deep":
        text = '{"type": "events", "events": [' + _deep(5000) + "]}"
    elif shape == "no-type":
        text = json.dumps({"events": events})
    else:
        text = json.dumps(body, allow_nan=True)
    if shape == "bytes":
        text = text.encode("utf-8", "surrogatepass")
    try:
        parsed = ingest.frame_parse(text)
    except ingest.FrameError as exc:
        assert exc.code in {"bad_json", "bad_frame", "too_large"} and exc.detail
        return
    result = ingest.events_ingest(session=session, events=parsed)
    for q in result.quarantined:
        assert q.reason
    json.dumps(result.messages())  # every answer can be sent
    stored = set(stored_seqs(session))
    assert {1, 2} <= stored
    for event in bad:
        if isinstance(event, dict) and ingest.event_problem(event) is None:
            assert event["seq"] in stored
    for data in Event.objects.filter(session=session).values_list("data", flat=True):
        for value in data.values():
            assert not isinstance(value, float) or math.isfinite(value)


def test_unknown_session_over_http_is_still_a_404(annotator):
    assert post(logged_in(annotator), uuid.uuid4(), {"type": "events", "events": []}).status_code == 404

"""Event validation and the frame write: what is stored, what is quarantined and why."""

import json

import pytest

from annotations.models import Annotation
from telemetry import ingest
from telemetry.models import Event, QuarantinedEvent
from telemetry.services import editor_session_open


def key(seq, **extra):
    return {"seq": seq, "t": seq * 10.0, "k": "key", "cls": "letter", **extra}


VALID = [
    key(1, rep=False, field="text", trusted=True),
    {"seq": 2, "t": 5, "k": "input", "it": "insertText", "pos": 0, "d": 1, "len": 1, "field": "text"},
    {"seq": 3, "t": 6, "k": "input", "it": "deleteContentBackward", "pos": 1, "d": -1, "len": 0},
    {"seq": 4, "t": 7, "k": "paste", "len": 40, "src": "external", "h": "0123456789abcdef", "field": "text"},
    {"seq": 5, "t": 8, "k": "cut", "len": 3, "src": "self", "h": "ab12"},
    {"seq": 6, "t": 9, "k": "copy", "len": 3, "src": "task", "h": "ff"},
    {"seq": 7, "t": 10, "k": "comp", "phase": "start", "field": "text"},
    {"seq": 8, "t": 11, "k": "comp", "phase": "end", "len": 2},
    {"seq": 9, "t": 12, "k": "focus", "field": "text"},
    {"seq": 10, "t": 13, "k": "blur"},
    {"seq": 11, "t": 14, "k": "vis", "state": "hidden"},
    {"seq": 12, "t": 15, "k": "nav", "ref": "r1", "action": "open"},
    {"seq": 13, "t": 16, "k": "scroll", "ref": "r1", "frac": 0.5},
    {"seq": 14, "t": 17, "k": "rev", "field": "text", "text": "Hello", "why": "pause"},
]


@pytest.mark.parametrize("event", VALID, ids=lambda e: e["k"])
def test_every_kind_of_the_contract_is_accepted(event):
    assert ingest.event_problem(event) is None


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({"seq": 1, "t": 1, "k": "wiggle"}, "unknown kind"),
        (key(1, key="a"), "must not carry the character"),
        (key(1, char="a"), "must not carry the character"),
        (key(1, code="KeyA"), "must not carry the character"),
        ({"seq": 0, "t": 1, "k": "blur"}, "seq must be a positive integer"),
        ({"seq": "3", "t": 1, "k": "blur"}, "seq must be a positive integer"),
        ({"seq": True, "t": 1, "k": "blur"}, "seq must be a positive integer"),
        ({"seq": 1, "t": -1, "k": "blur"}, "t must be a non-negative number"),
        ({"seq": 1, "k": "blur"}, "t must be a non-negative number"),
        ({"seq": 1, "t": 1, "k": "key"}, "missing field 'cls'"),
        ({"seq": 1, "t": 1, "k": "key", "cls": "a"}, "field 'cls' must be"),
        ({"seq": 1, "t": 1, "k": "input", "it": "insertText", "pos": 0, "d": "1", "len": 1}, "field 'd' must be"),
        ({"seq": 1, "t": 1, "k": "paste", "len": 4, "src": "clipboard", "h": "ab"}, "field 'src' must be"),
        ({"seq": 1, "t": 1, "k": "paste", "len": 4, "src": "external"}, "missing field 'h'"),
        ({"seq": 1, "t": 1, "k": "scroll", "ref": "r1", "frac": 1.5}, "field 'frac' must be"),
        ({"seq": 1, "t": 1, "k": "rev", "field": "text", "text": "x" * 50_001, "why": "pause"}, "at most 50000"),
        ({"seq": 1, "t": 1, "k": "input", "it": "insertText", "pos": 0, "d": 1, "len": 1, "data": "a"}, "unexpected"),
        ({"seq": 1, "t": 1, "k": "blur", "trusted": "yes"}, "'trusted' must be true or false"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_invalid_events_are_refused_with_a_reason(event, reason):
    assert reason in ingest.event_problem(event)


def test_frame_limits_and_shapes():
    with pytest.raises(ingest.FrameError) as bad_json:
        ingest.frame_parse("{nope")
    assert bad_json.value.code == "bad_json"
    for frame in ('{"type": "hello"}', "[]", '{"type": "events", "events": {}}'):
        with pytest.raises(ingest.FrameError) as bad_frame:
            ingest.frame_parse(frame)
        assert bad_frame.value.code == "bad_frame"
    with pytest.raises(ingest.FrameError) as too_many:
        ingest.frame_parse(json.dumps({"type": "events", "events": [key(i) for i in range(1, 502)]}))
    assert too_many.value.code == "too_large"
    big = json.dumps({"type": "events", "events": [{"seq": 1, "t": 0, "k": "rev", "text": "é" * 140_000}]})
    with pytest.raises(ingest.FrameError) as too_big:  # 140,000 characters but 280,000 bytes
        ingest.frame_parse(big)
    assert too_big.value.code == "too_large"
    assert ingest.frame_parse(json.dumps({"type": "events", "events": [key(i) for i in range(1, 501)]}))


def test_a_frame_is_stored_with_the_fields_of_each_event(session):
    result = ingest.events_ingest(session=session, events=VALID)
    assert result.upto == 14
    assert result.messages() == [{"type": "ack", "upto": 14}]
    stored = list(Event.objects.filter(session=session).order_by("seq"))
    assert [e.seq for e in stored] == list(range(1, 15))
    assert stored[1].kind == "input" and stored[1].t == 5.0
    assert stored[1].data == {"it": "insertText", "pos": 0, "d": 1, "len": 1, "field": "text"}
    assert stored[13].data == {"field": "text", "text": "Hello", "why": "pause"}
    session.refresh_from_db()
    assert session.contiguous_upto == 14


def test_duplicates_are_stored_once_and_gaps_hold_the_point(session):
    assert ingest.events_ingest(session=session, events=[key(1), key(2), key(3), key(5)]).upto == 3
    assert ingest.events_ingest(session=session, events=[key(2), key(3), key(5), key(5)]).upto == 3
    assert ingest.events_ingest(session=session, events=[key(4), key(6)]).upto == 6
    assert list(Event.objects.filter(session=session).values_list("seq", flat=True).order_by("seq")) == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]
    session.refresh_from_db()
    assert session.contiguous_upto == 6


def test_invalid_events_go_to_quarantine_and_their_neighbours_are_stored(session):
    result = ingest.events_ingest(session=session, events=[key(1), key(2, char="x"), key(3), {"t": 1, "k": "blur"}])
    assert sorted(Event.objects.filter(session=session).values_list("seq", flat=True)) == [1, 3]
    error, ack = result.messages()
    assert error["type"] == "error" and error["code"] == "bad_events" and error["seqs"] == [2]
    assert "seq 2: key events must not carry the character typed" in error["detail"]
    assert "seq must be a positive integer" in error["detail"]
    # A quarantined seq counts as received: the client must not resend it for ever.
    assert ack == {"type": "ack", "upto": 3}
    rows = {q.seq: q for q in QuarantinedEvent.objects.filter(session=session)}
    assert set(rows) == {2, None}
    assert "must not carry the character" in rows[2].reason
    assert json.loads(rows[2].raw)["char"] == "x"


def test_the_point_advances_past_many_stored_seqs_after_a_gap_is_filled(session):
    ingest.events_ingest(session=session, events=[key(i) for i in range(2, 500)])
    ingest.events_ingest(session=session, events=[key(i) for i in range(500, 1000)])
    ingest.events_ingest(session=session, events=[key(i) for i in range(1000, 1300)])
    assert ingest.events_ingest(session=session, events=[key(1)]).upto == 1299


def test_a_closed_session_takes_events_only_while_its_final_seq_is_owed(session):
    from telemetry.services import editor_sessions_finish

    ingest.events_ingest(session=session, events=[key(1), key(2)])
    editor_sessions_finish(annotation=session.annotation, final_seq=4)
    session.refresh_from_db()
    assert session.is_closed and ingest.session_accepts_events(session)
    ingest.events_ingest(session=session, events=[key(3), key(4)])
    session.refresh_from_db()
    assert session.contiguous_upto == 4 and not ingest.session_accepts_events(session)


def test_late_events_after_submit_refresh_the_annotations_signals(session, refresher):
    from telemetry.models import AnnotationSignals
    from telemetry.services import editor_sessions_finish
    from telemetry.signals import annotation_signals_compute

    ingest.events_ingest(session=session, events=[key(1), key(2)])
    Annotation.objects.filter(pk=session.annotation_id).update(state=Annotation.State.SUBMITTED)
    editor_sessions_finish(annotation=session.annotation, final_seq=4)
    annotation_signals_compute(annotation=Annotation.objects.get(pk=session.annotation_id))
    assert AnnotationSignals.objects.get(annotation_id=session.annotation_id).event_count == 2
    session.refresh_from_db()
    ingest.events_ingest(session=session, events=[key(3), key(4)])
    assert refresher.run_due() == 1  # the refresh was scheduled by the ingest, not run inside it
    assert AnnotationSignals.objects.get(annotation_id=session.annotation_id).event_count == 4


def test_the_walk_continues_past_a_full_window(session, monkeypatch):
    monkeypatch.setattr(ingest, "_WALK_WINDOW", 50)
    ingest.events_ingest(session=session, events=[key(i) for i in range(2, 300)])
    assert ingest.events_ingest(session=session, events=[key(1)]).upto == 299


def test_frames_of_several_sessions_in_one_batch_each_get_their_own_point(session, make_project, annotator):
    other = editor_session_open(annotation=session.annotation, user=annotator)
    results = ingest.frames_ingest(
        frames=[(session, [key(1), key(2)]), (other, [key(2)]), (session, [key(3), key(3, char="x")]), (other, [])]
    )
    assert [r.upto for r in results] == [3, 0, 3, 0]
    assert [len(r.quarantined) for r in results] == [0, 0, 1, 0]
    assert sorted(Event.objects.filter(session=other).values_list("seq", flat=True)) == [2]


def test_snapshot_text_and_times_are_stored_exactly(session):
    text = 'He said "hi" \\ back\u2014caf\u00e9 \U0001f600\n\ttabbed, {"not": "json"} [1]'
    ingest.events_ingest(
        session=session,
        events=[{"seq": 1, "t": 12.345, "k": "rev", "field": "text", "text": text, "why": "blur", "trusted": True}],
    )
    event = Event.objects.get(session=session, seq=1)
    assert event.t == 12.345 and event.kind == "rev"
    assert event.data == {"field": "text", "text": text, "why": "blur", "trusted": True}

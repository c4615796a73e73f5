"""Revision replay: a reviewer steps through the snapshots of an annotation as it was written."""

import pytest

from annotations.services.routing import assignment_next
from annotations.services.work import annotation_start
from telemetry.ingest import events_ingest
from telemetry.selectors import revision_replay
from telemetry.services import editor_session_open
from telemetry.textdiff import edit_distance, text_diff
from tests.telemetry.streams import Stream, composed_sentence


@pytest.fixture
def annotation(make_project, annotator):
    project = make_project("write", members=[annotator], tasks=1)
    return annotation_start(assignment=assignment_next(project=project, user=annotator))


def test_replay_of_the_composed_sentence(annotation, annotator, django_assert_num_queries):
    session = editor_session_open(annotation=annotation, user=annotator)
    events_ingest(session=session, events=composed_sentence().wire())

    with django_assert_num_queries(1):
        replay = revision_replay(annotation=annotation)

    assert [(s["seq"], s["t"], s["field"], s["why"]) for s in replay] == [
        (28, 8700, "text", "pause"),
        (44, 14000, "text", "submit"),
    ]
    first, second = replay
    # The first snapshot is diffed against the empty text: all of it inserted.
    assert first["text"] == "The car is."
    assert first["diff"] == [{"op": "insert", "text": "The car is."}]
    assert (first["inserted"], first["deleted"]) == (11, 0)
    # Then "red " appears in the middle.
    assert second["diff"] == [
        {"op": "equal", "text": "The "},
        {"op": "insert", "text": "red "},
        {"op": "equal", "text": "car is."},
    ]
    assert (second["inserted"], second["deleted"]) == (4, 0)
    assert first["session"] == second["session"] == 1


def test_replay_diffs_each_field_against_its_own_previous_snapshot_across_sessions(annotation, annotator):
    first = Stream()
    first.rev(1000, "A cat sat.")
    first.add(1500, "rev", field="rationale", text="Because.", why="blur")
    events_ingest(session=editor_session_open(annotation=annotation, user=annotator), events=first.wire())
    second = Stream()  # the page was reloaded: seq and t start again
    second.rev(400, "A dog sat.", why="submit")
    events_ingest(session=editor_session_open(annotation=annotation, user=annotator), events=second.wire())

    replay = revision_replay(annotation=annotation)
    assert [(s["session"], s["field"], s["text"]) for s in replay] == [
        (1, "text", "A cat sat."),
        (1, "rationale", "Because."),
        (2, "text", "A dog sat."),
    ]
    # "cat" -> "dog": the shared "A " and " sat." stay, the word in between is replaced.
    ops = replay[2]["diff"]
    assert ops[0] == {"op": "equal", "text": "A "} and ops[-1] == {"op": "equal", "text": " sat."}
    assert "".join(d["text"] for d in ops if d["op"] == "delete") == "cat"
    assert "".join(d["text"] for d in ops if d["op"] == "insert") == "dog"
    assert (replay[2]["inserted"], replay[2]["deleted"]) == (3, 3)


def test_replay_rebuilds_every_snapshot_from_its_diff(annotation, annotator):
    texts = ["", "Draft one.", "Draft one, longer.", "A rewritten draft, longer.", "A rewritten draft."]
    stream = Stream()
    for i, text in enumerate(texts):
        stream.rev(1000 * (i + 1), text)
    events_ingest(session=editor_session_open(annotation=annotation, user=annotator), events=stream.wire())
    replay = revision_replay(annotation=annotation)
    previous = ""
    for snapshot in replay:
        # equal + delete spans spell the previous text; equal + insert spans spell this one.
        assert "".join(d["text"] for d in snapshot["diff"] if d["op"] != "insert") == previous
        assert "".join(d["text"] for d in snapshot["diff"] if d["op"] != "delete") == snapshot["text"]
        previous = snapshot["text"]
    assert [s["text"] for s in replay] == texts


def test_no_snapshots_no_replay(annotation):
    assert revision_replay(annotation=annotation) == []


def spell(ops, side: str) -> str:
    skip = "insert" if side == "before" else "delete"
    return "".join(text for op, text in ops if op != skip)


def test_diff_of_a_long_text_edited_at_both_ends_is_exact():
    # 3000 words, then the first and last characters replaced: the middle is too long for a
    # character diff, so words are diffed and the changed words refined character by character.
    before = " ".join(f"word{i % 97}" for i in range(3000))
    after = "X" + before[1:-1] + "Y"
    ops = text_diff(before, after)
    assert spell(ops, "before") == before and spell(ops, "after") == after
    assert edit_distance(before, after) == 4  # w -> X and 6 -> Y: two deletions, two insertions


def test_diff_of_a_sweeping_rewrite_still_spells_both_texts():
    before, after = "a " * 25_000, "b " * 20_000 + "a " * 100
    ops = text_diff(before, after)
    assert spell(ops, "before") == before and spell(ops, "after") == after
    assert edit_distance(before, after) >= 2 * 20_000

"""The evidence a reviewer reads: the summary in words beside the project's typical ranges, the
rounded signal table, pasted stretches marked in the text and the diff between versions."""

import re
from types import SimpleNamespace

import pytest

from annotations.models import Annotation
from annotations.services.review import review_create
from annotations.services.work import annotation_submit
from telemetry.ingest import events_ingest
from telemetry.models import AnnotationSignals
from telemetry.services import editor_session_open
from telemetry.summary import (
    evidence_summary,
    marked_segments,
    paste_spans,
    project_typical_ranges,
    signal_table,
    significant,
    typical_ranges,
    version_changes,
)
from tests.annotations.review_helpers import rubric_add
from tests.telemetry.streams import Stream, compute

NO_RANGES = typical_ranges([])


def four_bursts_and_two_pastes() -> Stream:
    """60 letters typed in four bursts of 15 (100 ms apart, 2.6 s between bursts: three pauses),
    then 12 characters pasted from the task and 8 from outside: 80 characters, 25% pasted."""
    s = Stream()
    for burst in range(4):
        s.keys([1000 + 4000 * burst + 100 * i for i in range(15)])
    s.paste(20000, 12, src="task")
    s.paste(21000, 8, src="external")
    return s.rev(22000, "x" * 80, why="submit")


def summary_line(summary: dict, key: str) -> str:
    return next(line["text"] for line in summary["lines"] if line["key"] == key)


def test_the_summary_says_the_paste_share_its_sources_and_the_pauses_in_words():
    features, _ = compute(four_bursts_and_two_pastes(), expected_minutes=2, final_texts={"text": "x" * 80})
    summary = evidence_summary(features=features, typical=NO_RANGES)

    assert summary["no_text"] is False
    assert [line["key"] for line in summary["lines"]] == ["time", "pasted", "revisions", "references", "pauses"]
    pasted = "75% typed, 25% pasted: 15% from the task text, 10% from outside the editor."
    assert summary_line(summary, "pasted") == pasted
    assert summary_line(summary, "pauses") == "3 pauses of 2 s or more while typing (longest 2.6 s)."
    assert summary_line(summary, "revisions") == "0% of what was written was deleted again (0 of 80 characters)."
    assert summary_line(summary, "time") == "22 s of active time against 2 min expected (0.18×)."


def test_a_typed_text_says_nothing_was_pasted():
    s = Stream().keys([1000 + 150 * i for i in range(20)])
    features, _ = compute(s, final_texts={"text": "y" * 20})
    summary = evidence_summary(features=features, typical=NO_RANGES)
    assert summary_line(summary, "pasted") == "All typed: nothing was pasted."
    assert summary_line(summary, "time").endswith("the project sets no expected time.")


def test_no_free_text_leaves_only_the_time():
    s = Stream()
    s.add(500, "focus", field="text", trusted=True).add(1500, "key", cls="digit", field="text", trusted=True)
    features, _ = compute(s, expected_minutes=1, final_texts={})
    summary = evidence_summary(features=features, typical=NO_RANGES)
    assert summary["no_text"] is True
    assert [line["key"] for line in summary["lines"]] == ["time"]


def test_the_typical_range_is_the_10th_to_90th_percentile_of_the_other_annotations():
    rows = [{"pasted_fraction": v / 10, "pauses_2s": v} for v in range(10)]
    ranges = typical_ranges(rows)

    assert ranges["pasted"]["n"] == 10
    assert ranges["pasted"]["low"] == pytest.approx(0.09)
    assert ranges["pasted"]["high"] == pytest.approx(0.81)
    assert ranges["pasted"]["text"] == "typical 9%–81% (middle 80% of 10 other annotations)"
    assert ranges["pauses"]["text"] == "typical 0.9–8.1 (middle 80% of 10 other annotations)"
    # Nobody had an expected time: no range is invented.
    assert ranges["time"]["low"] is None
    assert ranges["time"]["text"] == "typical range: not enough work yet (0 of 5 other annotations needed)"


def test_below_five_annotations_there_is_no_typical_range_and_undefined_values_do_not_count():
    rows = [{"pasted_fraction": 0.5}] * 4 + [{"pasted_fraction": None}] * 3
    ranges = typical_ranges(rows)
    assert ranges["pasted"]["low"] is None
    assert ranges["pasted"]["text"] == "typical range: not enough work yet (4 of 5 other annotations needed)"


def test_a_value_outside_the_typical_range_says_so():
    features, _ = compute(four_bursts_and_two_pastes(), final_texts={"text": "x" * 80})
    ranges = typical_ranges([{"pasted_fraction": 0.0}] * 6)
    lines = evidence_summary(features=features, typical=ranges)["lines"]
    pasted = next(line for line in lines if line["key"] == "pasted")
    assert pasted["outside"] == "above"


def test_the_table_is_rounded_to_three_significant_digits_and_gives_reasons():
    rows = signal_table(
        features={"iki_cv": 0.123456789, "total_ms": 123456.789, "paste_count": 3, "iki_median_ms": None},
        undefined={"iki_median_ms": "no keystroke intervals were recorded"},
    )
    assert {r["name"]: r["value"] for r in rows} == {
        "iki_cv": "0.123",
        "total_ms": "123,000",
        "paste_count": "3",
        "iki_median_ms": "no keystroke intervals were recorded",
    }
    assert [r["name"] for r in rows if r["undefined"]] == ["iki_median_ms"]
    assert significant(0.000123456) == "0.000123"
    assert significant(2.0) == "2"
    assert significant(1234567) == "1,234,567"  # counts stay whole


def test_pasted_text_is_found_by_following_the_input_events():
    """Type "abc", paste "PASTE" at the end, type "d" at the start, delete the last pasted character:
    the final "dabcPAST" has the pasted stretch at 4-8."""
    s = Stream()
    s.keys([100, 200, 300])
    s.paste(400, 5, src="reference")
    s.key(500, pos=0)
    s.backspace(600)
    s.rev(700, "dabcPAST")
    final, snapshots = paste_spans(s.events)

    assert final == {"text": [(4, 8, "reference")]}
    assert snapshots == [[(4, 8, "reference")]]
    assert marked_segments("dabcPAST", final["text"]) == [
        {"text": "dabc", "src": None},
        {"text": "PAST", "src": "reference"},
    ]


def test_a_paste_over_a_selection_replaces_it():
    """ "hello world" typed, "world" selected and pasted over with "there!" (d = +1)."""
    s = Stream()
    s.keys([100 + 10 * i for i in range(11)])
    s.add(500, "paste", len=6, src="external", h="0123456789abcdef", field="text", trusted=True)
    s.add(500, "input", it="insertFromPaste", pos=6, d=1, len=12, field="text", trusted=True)
    final, _ = paste_spans(s.events)
    assert final == {"text": [(6, 12, "external")]}


def test_the_project_range_counts_its_other_submitted_annotations_only(
    make_project, annotator, django_assert_num_queries
):
    project = make_project("write", members=[annotator], tasks=8)
    tasks = list(project.tasks.order_by("id"))
    annotations = [Annotation.objects.create(task=task, annotator=annotator) for task in tasks]
    for i, annotation in enumerate(annotations[:6]):  # six submitted, pasted 0%, 10%, ... 50%
        Annotation.objects.filter(pk=annotation.pk).update(state=Annotation.State.SUBMITTED)
        AnnotationSignals.objects.create(annotation=annotation, features={"pasted_fraction": i / 10, "pauses_2s": i})
    draft = annotations[6]  # a draft's signals are no part of the range
    AnnotationSignals.objects.create(annotation=draft, features={"pasted_fraction": 1.0})
    other_project = make_project("write", members=[annotator], tasks=1)
    elsewhere = Annotation.objects.create(task=other_project.tasks.get(), annotator=annotator, state="submitted")
    AnnotationSignals.objects.create(annotation=elsewhere, features={"pasted_fraction": 1.0})

    with django_assert_num_queries(1):
        ranges = project_typical_ranges(annotation=annotations[0])  # itself left out: 10% ... 50%
    assert (ranges["pasted"]["n"], ranges["pasted"]["low"], ranges["pasted"]["high"]) == (
        5,
        pytest.approx(0.14),
        pytest.approx(0.46),
    )
    assert ranges["pauses"]["text"] == "typical 1.4–4.6 (middle 80% of 5 other annotations)"
    assert ranges["time"]["low"] is None


def test_version_changes_diff_the_text_and_name_a_changed_label():
    v1 = SimpleNamespace(number=1, result={"label": "positive", "text": "Good value."})
    v2 = SimpleNamespace(number=2, result={"label": "neutral", "text": "Fair value."})
    (change,) = version_changes([v1, v2], ("text", "rationale"))
    assert (change["before"], change["after"]) == (1, 2)
    assert change["fields"] == [
        {
            "field": "text",
            "diff": [
                {"op": "delete", "text": "Good"},
                {"op": "insert", "text": "Fair"},
                {"op": "equal", "text": " value."},
            ],
        }
    ]
    assert change["other"] == [{"name": "label", "before": "positive", "after": "neutral"}]


def test_the_page_says_plainly_when_nothing_was_recorded(client, project, annotator, reviewer):
    annotation = Annotation.objects.create(
        task=project.tasks.order_by("id").first(), annotator=annotator, guideline_version=project.current_guideline()
    )
    annotation_submit(annotation=annotation, result={"text": "Sent in through the API."})
    client.force_login(reviewer)
    body = client.get(f"/review/{annotation.pk}/").content.decode()
    start = body.index('data-testid="evidence"')
    evidence = body[start : body.index("</section>", start)]
    assert "No writing-process events were recorded for this annotation" in evidence
    assert "0 s of active time" not in evidence
    assert 'data-testid="signal-table"' not in evidence


def test_an_undone_paste_leaves_nothing_marked():
    s = Stream()
    s.keys([100, 200])
    s.paste(300, 3)
    s.add(400, "input", it="historyUndo", pos=5, d=-3, len=2, field="text", trusted=True)
    s.length = 2
    s.key(500)
    final, _ = paste_spans(s.events)
    assert final == {"text": []}


# --- the review page ------------------------------------------------------------------


@pytest.fixture
def project(make_project, annotator, reviewer):
    project = make_project("write", members=[annotator, reviewer], tasks=2, expected_minutes=3, double_review_rate=0.0)
    rubric_add(project)
    return project


def typed_then_pasted() -> Stream:
    """ "Mine: " typed, then "PASTED TEXT" pasted from outside."""
    s = Stream()
    s.keys([1000 + 120 * i for i in range(6)])
    s.paste(3000, 11)
    return s.rev(4000, "Mine: PASTED TEXT", why="submit")


def ok_appended() -> Stream:
    """The second session, after a revise: " ok" typed at the end."""
    s = Stream()
    s.length = 17
    s.keys([800, 950, 1100])
    return s.rev(1500, "Mine: PASTED TEXT ok", why="submit")


def submit_with(annotation, stream: Stream, text: str, user, capture) -> None:
    session = editor_session_open(annotation=annotation, user=user)
    assert events_ingest(session=session, events=stream.wire()).quarantined == []
    with capture(execute=True):
        annotation_submit(annotation=annotation, result={"text": text}, final_seq=len(stream.events))


@pytest.fixture
def revised(project, annotator, reviewer, django_capture_on_commit_callbacks):
    """Submitted, returned by a reviewer, resubmitted with " ok" added: two versions."""
    annotation = Annotation.objects.create(
        task=project.tasks.order_by("id").first(), annotator=annotator, guideline_version=project.current_guideline()
    )
    submit_with(annotation, typed_then_pasted(), "Mine: PASTED TEXT", annotator, django_capture_on_commit_callbacks)
    review_create(
        annotation=annotation,
        reviewer=reviewer,
        scores={"accuracy": 3, "clarity": 3, "completeness": 3},
        verdict="revise",
        feedback="Write it yourself.",
    )
    annotation.refresh_from_db()
    submit_with(annotation, ok_appended(), "Mine: PASTED TEXT ok", annotator, django_capture_on_commit_callbacks)
    annotation.refresh_from_db()
    assert annotation.version == 2
    assert AnnotationSignals.objects.filter(annotation=annotation).exists()
    return annotation


def test_the_review_page_leads_with_the_summary_and_marks_pastes_and_changes(client, reviewer, revised):
    client.force_login(reviewer)
    body = client.get(f"/review/{revised.pk}/").content.decode()
    evidence = body[body.index('data-testid="evidence"') :]

    summary = evidence.index('data-testid="evidence-summary"')
    assert summary < evidence.index('data-testid="flag"') < evidence.index('data-testid="signal-table"')
    assert re.search(r"\d+% typed, \d+% pasted: \d+% from outside the editor\.", evidence)
    assert "typical range: not enough work yet (0 of 5 other annotations needed)" in evidence
    # The full table is collapsed, and rounded (no nine-decimal floats).
    assert re.search(r'<details class="signals" data-testid="signal-table">', evidence)
    assert not re.search(r"\d\.\d{5,}", evidence[evidence.index('data-testid="signal-table"') :])
    # The pasted stretch is marked in the final text, and the paste carried into the replay.
    pasted = evidence[evidence.index('data-testid="pasted-text"') :]
    assert '<mark class="src-external" title="pasted (external)">PASTED TEXT</mark>' in pasted
    assert '<ins><mark class="src-external">PASTED TEXT</mark></ins>' in evidence
    # Version 1 to 2: " ok" was added.
    change = evidence[evidence.index('data-testid="version-change"') :]
    assert "Changes from version 1 to 2" in change
    assert "<ins> ok</ins>" in change


def test_a_classification_without_text_shows_one_line_not_an_empty_block(
    client, make_project, annotator, reviewer, django_capture_on_commit_callbacks
):
    project = make_project("classify", members=[annotator, reviewer], tasks=1, double_review_rate=0.0)
    rubric_add(project)
    annotation = Annotation.objects.create(
        task=project.tasks.first(), annotator=annotator, guideline_version=project.current_guideline()
    )
    label = project.labels[0]
    stream = Stream().add(500, "focus", field="text", trusted=True)
    stream.add(1500, "key", cls="digit", field="text", trusted=True)
    session = editor_session_open(annotation=annotation, user=annotator)
    events_ingest(session=session, events=stream.wire())
    with django_capture_on_commit_callbacks(execute=True):
        annotation_submit(annotation=annotation, result={"label": label}, final_seq=2)

    client.force_login(reviewer)
    body = client.get(f"/review/{annotation.pk}/").content.decode()
    start = body.index('data-testid="evidence"')
    evidence = body[start : body.index("</section>", start)]
    assert "No free text was written for this annotation." in evidence
    assert 'data-testid="evidence-summary"' not in evidence
    assert "No text snapshots were recorded" not in evidence
    assert "No writing-process flags" not in evidence

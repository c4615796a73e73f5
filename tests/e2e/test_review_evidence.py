"""The reviewer's evidence in real Chromium: the summary in words comes first, the pasted stretch is
highlighted in the text and the replay, the change between versions is highlighted, and the full
signal table stays folded until asked for."""

import pytest

from annotations.models import Annotation
from annotations.services.review import review_create
from annotations.services.work import annotation_submit
from telemetry.ingest import events_ingest
from telemetry.services import editor_session_open
from tests.annotations.review_helpers import rubric_add
from tests.telemetry.streams import Stream

pytestmark = pytest.mark.e2e


def _submit(annotation, stream: Stream, text: str) -> None:
    session = editor_session_open(annotation=annotation, user=annotation.annotator)
    assert events_ingest(session=session, events=stream.wire()).quarantined == []
    annotation_submit(annotation=annotation, result={"text": text}, final_seq=len(stream.events))


@pytest.fixture
def revised(make_project, annotator, reviewer):
    """ "Light: " typed and "CHLOROPHYLL ABSORBS IT" pasted from outside; returned by the reviewer;
    resubmitted with " well" typed at the end."""
    project = make_project(
        members=[annotator, reviewer], tasks=2, double_review_rate=0.0, expected_minutes=4, slug="evidence"
    )
    rubric_add(project)
    annotation = Annotation.objects.create(
        task=project.tasks.order_by("id").first(), annotator=annotator, guideline_version=project.current_guideline()
    )
    first = Stream()
    first.keys([1000 + 150 * i for i in range(7)])
    first.paste(4000, 22)
    first.rev(5000, "Light: CHLOROPHYLL ABSORBS IT", why="submit")
    _submit(annotation, first, "Light: CHLOROPHYLL ABSORBS IT")
    review_create(
        annotation=annotation,
        reviewer=reviewer,
        scores={"accuracy": 2, "clarity": 3, "completeness": 2},
        verdict="revise",
        feedback="Say it in your own words.",
    )
    annotation.refresh_from_db()
    second = Stream()
    second.length = 29
    second.keys([700 + 150 * i for i in range(5)])
    second.rev(2000, "Light: CHLOROPHYLL ABSORBS IT well", why="submit")
    _submit(annotation, second, "Light: CHLOROPHYLL ABSORBS IT well")
    return annotation


def test_reviewer_reads_the_summary_the_highlighted_paste_and_the_highlighted_change(page, login, revised):
    login("rev1")
    page.goto(f"/review/{revised.pk}/")
    evidence = page.get_by_test_id("evidence")

    summary = evidence.get_by_test_id("evidence-summary")
    assert summary.is_visible()
    pasted_line = summary.get_by_test_id("summary-pasted").inner_text()
    assert "pasted" in pasted_line and "from outside the editor" in pasted_line
    assert "against 4 min expected" in summary.get_by_test_id("summary-time").inner_text()
    assert "not enough work yet" in summary.get_by_test_id("summary-pauses").inner_text()

    # The summary comes before the table, and the table is folded away.
    table = evidence.get_by_test_id("signal-table")
    assert summary.bounding_box()["y"] < table.bounding_box()["y"]
    assert not table.locator("table").is_visible()
    table.locator("summary").click()
    assert table.locator("table").is_visible()

    mark = evidence.get_by_test_id("pasted-text").locator("mark[title]")
    assert mark.inner_text() == "CHLOROPHYLL ABSORBS IT"
    assert mark.is_visible()
    assert "pasted from outside" in evidence.get_by_test_id("pasted-text").locator(".legend").inner_text()

    change = evidence.get_by_test_id("version-change")
    assert "Changes from version 1 to 2" in change.inner_text()
    assert change.locator("pre ins").inner_text() == " well"

    # In the replay, the paste stays highlighted in the last snapshot, and the first one shows it arriving.
    replay = evidence.get_by_test_id("replay")
    visible = replay.locator("[data-replay-step]:visible")
    assert visible.locator("pre.diff mark").inner_text() == "CHLOROPHYLL ABSORBS IT"
    assert visible.locator("pre.diff ins").inner_text() == " well"
    page.keyboard.press(",")
    assert replay.locator("[data-replay-pos]").inner_text() == "1"
    assert visible.locator("pre.diff ins mark").inner_text() == "CHLOROPHYLL ABSORBS IT"


PASTED = "Chlorophyll absorbs red and blue light and reflects green."


def test_a_paste_made_in_the_browser_is_marked_where_it_landed(
    page, login, make_project, annotator, reviewer, daphne_server
):
    """The annotator types a lead-in, pastes from the clipboard, types after it and then before it:
    the reviewer sees exactly the pasted words marked, wherever the later typing moved them."""
    project = make_project(members=[annotator, reviewer], tasks=1, double_review_rate=0.0, slug="pastes")
    rubric_add(project)
    login("ann1")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=daphne_server.url)
    page.goto(f"/work/{project.pk}/")
    page.wait_for_function(
        "() => { const t = window.scriptoriumTelemetry; "
        "return t && t.sessions().some(s => s.capturing && s.connected); }"
    )
    page.evaluate("text => navigator.clipboard.writeText(text)", PASTED)
    editor = page.locator("textarea[data-instrument][name=text]")
    editor.click()
    page.keyboard.type("Why leaves are green: ", delay=80)
    page.keyboard.press("Control+V")
    page.wait_for_function("n => document.querySelector('textarea[name=text]').value.length >= n", arg=len(PASTED))
    page.keyboard.type(" So says the book.", delay=80)
    page.keyboard.press("Control+Home")
    page.keyboard.type("Q: ", delay=80)
    assert editor.input_value() == f"Q: Why leaves are green: {PASTED} So says the book."
    page.get_by_test_id("submit").click()
    page.get_by_test_id("all-done").wait_for()
    page.wait_for_function(
        """() => { const t = window.scriptoriumTelemetry;
                   return t && t.pending() === 0 && t.sessions().every(s => s.acked === s.lastSeq && !s.refused); }""",
        timeout=30_000,
    )

    page.click("button:has-text('Log out')")
    login("rev1")
    annotation = Annotation.objects.get(task__project=project)
    page.goto(f"/review/{annotation.pk}/")
    pasted = page.get_by_test_id("pasted-text")
    assert pasted.locator("pre").inner_text() == f"Q: Why leaves are green: {PASTED} So says the book."
    assert pasted.locator("pre mark").all_inner_texts() == [PASTED]
    share = round(100 * len(PASTED) / len(f"Q: Why leaves are green: {PASTED} So says the book."))
    assert f"{share}% pasted: {share}% from outside the editor." in page.get_by_test_id("summary-pasted").inner_text()

"""The review console in real Chromium: keyboard scoring reaches the annotator's feedback page, and the
console refuses reviewers' own work and annotators."""

import pytest

from annotations import roles
from annotations.models import Review
from tests.annotations.review_helpers import rubric_add, submitted
from tests.conftest import join

pytestmark = pytest.mark.e2e


@pytest.fixture
def work(make_project, annotator, reviewer):
    project = make_project(members=[annotator, reviewer], tasks=2, double_review_rate=0.0, slug="essays")
    rubric_add(project)
    return submitted(project, annotator, result={"text": "Photosynthesis stores light as sugar."})


def test_reviewer_scores_every_dimension_by_keyboard_and_the_annotator_sees_it(page, login, work):
    login("rev1")
    page.goto("/review/")
    assert page.get_by_test_id("queue-hints").is_visible()
    page.locator("[data-testid=queue-row]").first.wait_for()
    page.keyboard.press("j")  # one row only: stays on it
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/review/{work.pk}/")
    assert "Photosynthesis stores light as sugar." in page.get_by_test_id("the-annotation").inner_text()
    assert page.get_by_test_id("score-hints").is_visible()

    # Focus starts on the first dimension; each number key scores it and moves to the next.
    page.keyboard.press("4")
    page.keyboard.press("5")
    page.keyboard.press("3")
    assert page.locator("input[name=score-accuracy][value='4']").is_checked()
    assert page.locator("input[name=score-clarity][value='5']").is_checked()
    assert page.locator("input[name=score-completeness][value='3']").is_checked()
    page.keyboard.press("r")  # revise
    page.keyboard.press("f")  # the feedback box (a verdict key never puts the cursor in it)
    page.keyboard.type("Name the two stages of photosynthesis.")
    page.keyboard.press("Control+Enter")
    page.wait_for_url("**/review/")  # nothing else waiting: back to the queue
    assert page.get_by_test_id("queue-empty").is_visible()

    review = Review.objects.get()
    assert (review.scores, review.verdict) == ({"accuracy": 4, "clarity": 5, "completeness": 3}, "revise")

    page.click("button:has-text('Log out')")
    login("ann1")
    page.goto("/feedback/")
    item = page.get_by_test_id("review-item")
    assert "Revise" in item.inner_text()
    assert item.get_by_test_id("feedback-text").inner_text() == "Name the two stages of photosynthesis."
    assert item.get_by_test_id("score-accuracy").inner_text().split() == ["Accuracy", "4", "/", "5"]
    assert item.get_by_test_id("score-clarity").inner_text().split() == ["Clarity", "5", "/", "5"]
    assert item.get_by_test_id("score-completeness").inner_text().split() == ["Completeness", "3", "/", "5"]
    assert page.get_by_test_id("returned-item").is_visible()
    assert page.locator("canvas[data-score-chart]").count() == 3


def test_reviewer_cannot_open_their_own_annotation(page, login, work, make_user):
    both = make_user("revann", roles.REVIEWER)
    join(work.task.project, both, roles.REVIEWER, roles.ANNOTATOR)
    own = submitted(work.task.project, both)
    login("revann")
    response = page.goto(f"/review/{own.pk}/")
    assert response.status == 403
    page.goto("/review/")
    assert page.locator(f"[data-annotation='{own.pk}']").count() == 0
    assert page.locator(f"[data-annotation='{work.pk}']").count() == 1


def test_annotator_gets_403_on_the_review_console(page, login, work):
    login("ann1")
    assert page.goto("/review/").status == 403
    assert page.goto(f"/review/{work.pk}/").status == 403


def test_missing_scores_are_named_then_the_next_annotation_swaps_in(page, login, work, other_annotator):
    join(work.task.project, other_annotator)
    second = submitted(work.task.project, other_annotator, result={"text": "Plants eat sunlight."})
    login("rev1")
    page.goto(f"/review/{work.pk}/")
    page.keyboard.press("a")
    page.keyboard.press("Control+Enter")
    assert page.get_by_test_id("error-accuracy").inner_text() == "Score Accuracy (1-5)."
    assert page.get_by_test_id("error-completeness").inner_text() == "Score Completeness (1-5)."
    assert page.locator("input[name=verdict][value=accept]").is_checked()  # kept
    for key in "435":
        page.keyboard.press(key)
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"**/review/{second.pk}/")
    # Saved either by the htmx swap or (when the key beat htmx to the swapped-in form) by a plain
    # POST and redirect: the reviewer is told in both cases.
    page.get_by_text(f"Review of annotation {work.pk} saved.").wait_for(state="visible")
    assert "Plants eat sunlight." in page.get_by_test_id("the-annotation").inner_text()
    review = Review.objects.get()
    assert (review.annotation_id, review.scores) == (work.pk, {"accuracy": 4, "clarity": 3, "completeness": 5})


def test_reviewer_steps_and_scrubs_through_the_revision_replay(page, login, work):
    from telemetry.models import EditorSession, Event

    session = EditorSession.objects.create(annotation=work, user=work.annotator)
    texts = ["Photo", "Photosynthesis stores light", "Photosynthesis stores light as sugar."]
    for seq, text in enumerate(texts, start=1):
        Event.objects.create(
            session=session, seq=seq, t=seq * 2500.0, kind="rev", data={"field": "text", "text": text, "why": "pause"}
        )
    login("rev1")
    page.goto(f"/review/{work.pk}/")
    replay = page.get_by_test_id("replay")
    visible = replay.locator("[data-replay-step]:visible")
    assert replay.locator("[data-replay-pos]").inner_text() == "3"
    assert visible.locator("ins").inner_text() == " as sugar."
    page.keyboard.press(",")
    assert replay.locator("[data-replay-pos]").inner_text() == "2"
    assert visible.locator("ins").inner_text() == "synthesis stores light"
    replay.locator("[data-replay-range]").fill("0")
    assert replay.locator("[data-replay-pos]").inner_text() == "1"
    assert visible.locator("ins").inner_text() == "Photo"
    page.keyboard.press(".")
    page.keyboard.press(".")
    page.keyboard.press(".")  # past the end: stays on the last snapshot
    assert replay.locator("[data-replay-pos]").inner_text() == "3"

"""In real Chromium: the reviewer marks a rubric dimension n/a with its key, the dialog lists the key,
and the annotator reads n/a on their feedback."""

import pytest

from annotations.models import Review
from tests.annotations.review_helpers import rubric_add, submitted

pytestmark = pytest.mark.e2e


@pytest.fixture
def work(make_project, annotator, reviewer):
    project = make_project(members=[annotator, reviewer], tasks=2, double_review_rate=0.0, slug="essays")
    rubric_add(project)
    return submitted(project, annotator, result={"text": "Photosynthesis stores light as sugar."})


def test_minus_marks_a_dimension_na_and_the_annotator_reads_na(page, login, work):
    login("rev1")
    page.goto(f"/review/{work.pk}/")
    page.keyboard.press("?")
    assert "n/a: the dimension does not apply" in page.locator("#shortcuts-dialog").inner_text()
    page.keyboard.press("Escape")
    page.keyboard.press("4")
    page.keyboard.press("-")  # clarity does not apply: n/a, and on to the next dimension
    page.keyboard.press("3")
    assert page.get_by_test_id("na-clarity").is_checked()
    assert page.locator("input[name=score-completeness][value='3']").is_checked()
    page.keyboard.press("a")
    page.keyboard.press("Control+Enter")
    page.wait_for_url("**/review/")
    assert Review.objects.get().scores == {"accuracy": 4, "clarity": None, "completeness": 3}

    page.click("button:has-text('Log out')")
    login("ann1")
    page.goto("/feedback/")
    item = page.get_by_test_id("review-item")
    assert item.get_by_test_id("score-clarity").inner_text().split() == ["Clarity", "n/a"]
    assert item.get_by_test_id("score-accuracy").inner_text().split() == ["Accuracy", "4", "/", "5"]

"""Length guidance in real Chromium: the word count follows typing, and a submit outside the project's
range is held back once with a warning, then goes through on the second Ctrl+Enter."""

import pytest

from annotations.models import Annotation, Project

pytestmark = pytest.mark.e2e


def test_the_counter_follows_typing_and_a_short_answer_needs_a_second_submit(page, login, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator], tasks=2, min_words=5, max_words=8)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login("ann1")
    page.goto(f"/work/{project.pk}/")
    counter = page.get_by_test_id("word-count")
    assert counter.inner_text() == "0 words (aim for 5-8)"
    first = Annotation.objects.get(annotator=annotator)

    page.click("textarea[name=text]")
    page.keyboard.type("Plants make sugar.")
    assert counter.inner_text() == "3 words (aim for 5-8)"
    page.keyboard.press("Control+Enter")
    warning = page.get_by_test_id("length-warning")
    warning.wait_for(state="visible")
    assert "3 words: shorter than this project asks (aim for 5-8)" in warning.inner_text()
    first.refresh_from_db()
    assert first.state == Annotation.State.DRAFT  # held back, not sent

    page.keyboard.press("Control+Enter")  # the annotator insists: it is handed in as it is
    page.wait_for_function(
        "(id) => document.getElementById('work-area')?.dataset.annotationId !== String(id)", arg=first.pk
    )
    first.refresh_from_db()
    assert first.state == Annotation.State.SUBMITTED and first.result == {"text": "Plants make sugar."}

    # The next task: text inside the range goes through at the first submit, without a warning.
    second = Annotation.objects.exclude(pk=first.pk).get(annotator=annotator)
    page.click("textarea[name=text]")
    page.keyboard.type("Chlorophyll turns sunlight into chemical energy.")
    assert page.get_by_test_id("word-count").inner_text() == "6 words (aim for 5-8)"
    page.keyboard.press("Control+Enter")
    page.wait_for_function(
        "(id) => document.getElementById('work-area')?.dataset.annotationId !== String(id)", arg=second.pk
    )
    second.refresh_from_db()
    assert second.state == Annotation.State.SUBMITTED
    assert errors == []

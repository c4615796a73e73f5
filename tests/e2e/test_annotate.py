"""The annotator's loop in real Chromium under daphne: keyboard only, no page reload between tasks."""

import pytest

from annotations.models import Annotation, Assignment, Project

pytestmark = pytest.mark.e2e


def _watch_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def _mark_page(page):
    """A value that only survives if the page is never reloaded."""
    page.evaluate("() => { window.__samePage = 'still here'; }")


def _same_page(page) -> bool:
    return page.evaluate("() => window.__samePage") == "still here"


def _wait_for_next_task(page, annotation_id: int):
    page.wait_for_function(
        "(id) => { const area = document.getElementById('work-area');"
        " return area && area.dataset.annotationId !== String(id) && area.dataset.keysReady === '1'; }",
        arg=annotation_id,
    )


def _current_annotation(page) -> Annotation:
    return Annotation.objects.get(pk=int(page.get_attribute("#work-area", "data-annotation-id")))


def test_annotator_does_a_write_a_classify_and_a_compare_task_with_the_keyboard_alone(
    page, login, annotator, make_project
):
    write = make_project(Project.Kind.WRITE, members=[annotator], tasks=2, slug="a-write")
    classify = make_project(Project.Kind.CLASSIFY, members=[annotator], tasks=2, slug="b-classify")
    compare = make_project(Project.Kind.COMPARE, members=[annotator], tasks=2, slug="c-compare")
    errors = _watch_errors(page)
    login("ann1")

    # Home: "1" opens the first project on the list.
    page.keyboard.press("1")
    page.wait_for_url(f"**/work/{write.pk}/")
    _mark_page(page)
    first = _current_annotation(page)
    # Nothing has the focus on load: E puts the cursor in the response editor.
    page.keyboard.press("e")
    page.keyboard.type("Plants turn light into sugar.")
    page.keyboard.press("Control+Enter")
    _wait_for_next_task(page, first.pk)
    assert _same_page(page)
    assert page.url.endswith(f"/work/{write.pk}/")
    first.refresh_from_db()
    assert first.state == Annotation.State.SUBMITTED
    assert first.result == {"text": "Plants turn light into sugar."}
    assert first.guideline_version.number == 1
    # The next task's editor waits for E too.
    page.keyboard.press("e")
    page.keyboard.type("Second answer")
    assert page.input_value("textarea[name=text]") == "Second answer"

    # Classify: a number key picks the label, E enters the rationale, Escape leaves it, Ctrl+Enter submits.
    page.goto(f"/work/{classify.pk}/")
    _mark_page(page)
    first = _current_annotation(page)
    page.keyboard.press("2")
    assert page.is_checked("input[name=label][value=negative]")
    page.keyboard.press("e")
    page.keyboard.type("The word awful decides it.")
    page.keyboard.press("Escape")
    page.keyboard.press("3")  # shortcuts work again outside the editor: the label changes
    assert page.is_checked("input[name=label][value=neutral]")
    assert page.input_value("textarea[name=text]") == "The word awful decides it."
    page.keyboard.press("Control+Enter")
    _wait_for_next_task(page, first.pk)
    assert _same_page(page)
    first.refresh_from_db()
    assert first.result == {"label": "neutral", "text": "The word awful decides it."}

    # Compare: L/R/T choose per row, 1-3 set the strength, Enter goes on to the next row.
    page.goto(f"/work/{compare.pk}/")
    _mark_page(page)
    first = _current_annotation(page)
    left, right = first.left_response, "b" if first.left_response == "a" else "a"
    assert page.inner_text("[data-testid=response-left]") == first.task.payload[f"response_{left}"]
    # accuracy: left much; helpfulness: tie; overall: right slightly
    for key in ["l", "3", "Enter", "t", "Enter", "ArrowRight", "1"]:
        page.keyboard.press(key)
    page.keyboard.press("e")
    page.keyboard.type("Left is exact; right is friendlier overall.")
    page.keyboard.press("Control+Enter")
    _wait_for_next_task(page, first.pk)
    assert _same_page(page)
    first.refresh_from_db()
    assert first.result == {
        "dimensions": {"accuracy": {"choice": left, "strength": 3}, "helpfulness": {"choice": "tie", "strength": 0}},
        "overall": {"choice": right, "strength": 1},
        "rationale": "Left is exact; right is friendlier overall.",
    }
    # The next comparison starts again at its first row.
    assert page.get_attribute(".pref-row.is-active", "data-pref") == "dim-accuracy"
    assert errors == []


def test_an_invalid_submit_keeps_the_text_and_says_what_is_wrong(page, login, annotator, make_project):
    project = make_project(Project.Kind.CLASSIFY, members=[annotator], tasks=2, text_required=True)
    errors = _watch_errors(page)
    login("ann1")
    page.goto(f"/work/{project.pk}/")
    _mark_page(page)
    annotation = _current_annotation(page)
    page.keyboard.press("e")
    page.keyboard.type("Angry about the refund")
    page.keyboard.press("Control+Enter")  # no label chosen
    error = page.locator("#error-label")
    error.wait_for(state="visible")
    assert error.inner_text() == "Choose a label."
    assert "Not submitted" in page.inner_text("#form-status")
    assert page.input_value("textarea[name=text]") == "Angry about the refund"
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.DRAFT
    # Fix it and submit: the error goes, the next task comes, the page never reloaded.
    page.keyboard.press("Escape")
    page.keyboard.press("2")
    page.keyboard.press("Control+Enter")
    _wait_for_next_task(page, annotation.pk)
    assert _same_page(page)
    annotation.refresh_from_db()
    assert annotation.result == {"label": "negative", "text": "Angry about the refund"}
    assert errors == []


def test_skip_with_a_reason_and_work_without_the_telemetry_module(page, login, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator], tasks=2, telemetry_enabled=False)
    errors = _watch_errors(page)
    page.route("**/static/js/telemetry.js", lambda route: route.fulfill(status=404, body=""))
    login("ann1")
    page.goto(f"/work/{project.pk}/")
    _mark_page(page)
    first = _current_annotation(page)
    assert "recording is off" in page.get_by_test_id("telemetry-notice").inner_text()
    page.keyboard.press("e")
    page.keyboard.type("Half an answer")
    page.keyboard.press("Control+s")
    page.wait_for_function("() => document.getElementById('form-status').textContent.includes('Draft saved')")
    first.refresh_from_db()
    assert first.result == {"text": "Half an answer"}
    page.keyboard.press("Escape")
    page.keyboard.press("x")
    page.keyboard.press("Enter")  # no reason yet
    page.locator("#error-skip_reason").wait_for(state="visible")
    page.keyboard.type("Outside my expertise")
    page.keyboard.press("Enter")
    _wait_for_next_task(page, first.pk)
    assert _same_page(page)
    assignment = Assignment.objects.get(pk=first.assignment_id)
    assert assignment.state == Assignment.State.SKIPPED and assignment.skip_reason == "Outside my expertise"
    # The guideline is one key away: the next task does not put the cursor in its editor.
    assert page.evaluate("() => document.activeElement.name") != "text"
    page.keyboard.press("g")
    assert page.locator("#guideline-dialog").is_visible()
    assert page.inner_text("#guideline-dialog h1") == "Guide"
    second = _current_annotation(page)
    page.keyboard.press("Control+Enter")  # reading the guideline: nothing behind it is submitted
    page.wait_for_load_state("networkidle")  # a submit, had one started, would have answered
    assert page.locator("#guideline-dialog").is_visible()
    assert page.inner_text("#form-status") == ""
    second.refresh_from_db()
    assert second.state == Annotation.State.DRAFT
    page.keyboard.press("Escape")
    assert not page.locator("#guideline-dialog").is_visible()
    assert errors == []

"""Drafts save themselves: reload mid-answer on every kind of work screen and find everything as it was,
including when it was last saved; leaving the page saves at once; a failed save says so and tries again;
an autosave never reopens work that was handed in."""

import time

import pytest
from django.utils import timezone

from annotations.models import Annotation, Project

pytestmark = pytest.mark.e2e

NEVER = 10 * 60 * 1000  # a debounce no test waits for: anything saved came from another path


def _watch_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def _current_annotation(page) -> Annotation:
    return Annotation.objects.get(pk=int(page.get_attribute("#work-area", "data-annotation-id")))


def _indicator(page) -> str:
    return " ".join(page.inner_text("[data-testid=draft-indicator]").split())


def _wait_saved(page, timeout=15_000):
    """Until the indicator shows a save and nothing is waiting to be saved."""
    page.wait_for_function(
        "() => document.getElementById('draft-indicator').textContent.includes('Draft saved')"
        " && !window.scriptoriumAutosave.pending()",
        timeout=timeout,
    )


def _wait_stored(annotation: Annotation, check, timeout: float = 15.0) -> Annotation:
    """Until the server has stored what `check` wants (the browser saves asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        annotation.refresh_from_db()
        if check(annotation) or time.monotonic() > deadline:
            return annotation
        time.sleep(0.1)


def _shown_time(annotation: Annotation) -> str:
    return f"Draft saved {timezone.localtime(annotation.draft_saved_at).strftime('%H:%M:%S')}"


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def _reload(page):
    page.reload()
    page.wait_for_function("() => document.getElementById('work-area')?.dataset.keysReady === '1'")


def test_reload_mid_answer_on_a_write_task_finds_the_text_and_when_it_was_saved(page, login, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator])
    errors = _watch_errors(page)
    login("ann1")
    page.goto(f"/work/{project.pk}/")
    assert _indicator(page) == "Not saved yet"
    # E puts the cursor in the editor; the answer starts with an empty line, which a reload must keep too.
    page.keyboard.press("e")
    page.keyboard.press("Enter")
    page.keyboard.type("Plants turn light into sugar.")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.type("Chlorophyll absorbs it.")
    typed = page.input_value("textarea[name=text]")
    assert typed == "\nPlants turn light into sugar.\n\nChlorophyll absorbs it."
    _wait_saved(page)
    annotation = _current_annotation(page)
    assert annotation.state == Annotation.State.DRAFT and _lf(annotation.result["text"]) == typed
    shown = _indicator(page)
    assert shown == _shown_time(annotation)

    _reload(page)
    assert page.input_value("textarea[name=text]") == typed
    assert _indicator(page) == shown
    assert _current_annotation(page).pk == annotation.pk
    assert errors == []


@pytest.mark.parametrize("multi_label", [False, True], ids=["single-label", "multi-label"])
def test_reload_mid_answer_on_a_classify_task_finds_the_labels_and_the_rationale(
    page, login, annotator, make_project, multi_label
):
    project = make_project(Project.Kind.CLASSIFY, members=[annotator], multi_label=multi_label)
    errors = _watch_errors(page)
    login("ann1")
    page.goto(f"/work/{project.pk}/")
    name = "labels" if multi_label else "label"
    page.keyboard.press("2")
    if multi_label:
        page.keyboard.press("3")
    page.keyboard.press("e")
    page.keyboard.type("The word awful decides it.")
    _wait_saved(page)
    annotation = _current_annotation(page)
    shown = _indicator(page)
    assert shown == _shown_time(annotation)
    chosen = ["negative", "neutral"] if multi_label else ["negative"]
    assert (annotation.result["labels"] if multi_label else [annotation.result["label"]]) == chosen

    _reload(page)
    checked = page.eval_on_selector_all(f"input[name={name}]:checked", "els => els.map(e => e.value)")
    assert checked == chosen
    assert page.input_value("textarea[name=text]") == "The word awful decides it."
    assert _indicator(page) == shown
    # The shortcuts work on the restored form: 1 changes the answer, and that is saved too.
    page.keyboard.press("Escape")
    page.keyboard.press("1")
    _wait_saved(page)
    annotation = _wait_stored(annotation, lambda a: "positive" in str(a.result))
    assert (
        sorted(annotation.result["labels"]) == ["negative", "neutral", "positive"]
        if multi_label
        else annotation.result["label"] == "positive"
    )
    assert errors == []


def test_reload_mid_answer_on_a_compare_task_finds_choices_strengths_and_rationale(
    page, login, annotator, make_project
):
    project = make_project(Project.Kind.COMPARE, members=[annotator])
    errors = _watch_errors(page)
    login("ann1")
    page.goto(f"/work/{project.pk}/")
    # accuracy: left much; helpfulness: tie; overall: right slightly (Enter goes on to the next row)
    for key in ["l", "3", "Enter", "t", "Enter", "ArrowRight", "1"]:
        page.keyboard.press(key)
    page.keyboard.press("e")
    page.keyboard.type("Left is exact; right is friendlier overall.")
    _wait_saved(page)
    annotation = _current_annotation(page)
    left, right = annotation.left_response, "b" if annotation.left_response == "a" else "a"
    assert annotation.state == Annotation.State.DRAFT
    assert annotation.result["dimensions"] == {
        "accuracy": {"choice": left, "strength": 3},
        "helpfulness": {"choice": "tie"},
    }
    assert annotation.result["overall"] == {"choice": right, "strength": 1}
    shown = _indicator(page)
    assert shown == _shown_time(annotation)

    _reload(page)
    checked = page.eval_on_selector_all(
        "#work-form input[type=radio]:checked", "els => Object.fromEntries(els.map(e => [e.name, e.value]))"
    )
    assert checked == {
        "dim-accuracy": "left",
        "dim-accuracy-strength": "3",
        "dim-helpfulness": "tie",
        "overall": "right",
        "overall-strength": "1",
    }
    assert page.input_value("textarea[name=rationale]") == "Left is exact; right is friendlier overall."
    assert "is-tie" in page.get_attribute("[data-testid=pref-helpfulness]", "class")
    assert _indicator(page) == shown
    assert errors == []


def test_a_reload_before_the_autosave_fired_loses_nothing(page, login, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator])
    errors = _watch_errors(page)
    login("ann1")
    page.goto(f"/work/{project.pk}/")
    page.evaluate(f"() => {{ window.scriptoriumAutosave.delayMs = {NEVER}; }}")
    page.keyboard.press("e")
    page.keyboard.type("Typed just before the reload")
    _reload(page)
    assert page.input_value("textarea[name=text]") == "Typed just before the reload"
    _wait_saved(page)
    annotation = _current_annotation(page)
    assert annotation.result == {"text": "Typed just before the reload"}
    assert _indicator(page) == _shown_time(annotation)
    assert errors == []


def test_hiding_or_leaving_the_page_saves_at_once(page, login, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator], tasks=2)
    errors = _watch_errors(page)
    login("ann1")
    page.goto(f"/work/{project.pk}/")
    annotation = _current_annotation(page)
    page.evaluate(f"() => {{ window.scriptoriumAutosave.delayMs = {NEVER}; }}")
    page.keyboard.press("e")
    page.keyboard.type("Hidden tab")
    # Another tab comes to the front: the page is hidden.
    page.evaluate(
        "() => { Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });"
        " document.dispatchEvent(new Event('visibilitychange')); }"
    )
    annotation = _wait_stored(annotation, lambda a: a.result == {"text": "Hidden tab"})
    assert annotation.result == {"text": "Hidden tab"} and annotation.state == Annotation.State.DRAFT
    first_save = annotation.draft_saved_at
    assert first_save is not None
    page.evaluate("() => { delete document.visibilityState; }")  # visible again (the prototype's getter)

    # Leaving for the home page: the page is gone before any debounce could fire.
    page.keyboard.type(" and then away")
    page.goto("/")
    annotation = _wait_stored(annotation, lambda a: a.result == {"text": "Hidden tab and then away"})
    assert annotation.result == {"text": "Hidden tab and then away"} and annotation.draft_saved_at > first_save
    assert annotation.state == Annotation.State.DRAFT
    assert errors == []


def test_typing_without_a_pause_is_saved_anyway(page, login, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator])
    errors = _watch_errors(page)
    login("ann1")
    page.goto(f"/work/{project.pk}/")
    annotation = _current_annotation(page)
    # No pause ever long enough for the debounce; the longest wait is short for the test.
    page.evaluate(
        f"() => {{ window.scriptoriumAutosave.delayMs = {NEVER}; window.scriptoriumAutosave.maxWaitMs = 300; }}"
    )
    page.keyboard.press("e")
    page.keyboard.type("A long answer typed without stopping", delay=40)
    annotation = _wait_stored(annotation, lambda a: a.result.get("text", "").startswith("A long answer"))
    assert annotation.result["text"].startswith("A long answer") and annotation.state == Annotation.State.DRAFT
    assert errors == []


def test_a_failed_autosave_says_so_keeps_the_typing_and_tries_again(page, login, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator])
    errors = _watch_errors(page)
    login("ann1")
    page.goto(f"/work/{project.pk}/")
    annotation = _current_annotation(page)
    refused: list[str] = []

    def server_down(route):
        if route.request.method == "POST" and "autosave=1" in (route.request.post_data or ""):
            refused.append(route.request.post_data)
            route.fulfill(status=503, body="down for a moment")
        else:
            route.continue_()

    page.route("**/work/**", server_down)
    page.keyboard.press("e")
    page.keyboard.type("Written while the server is away")
    page.wait_for_function("() => document.getElementById('draft-indicator').textContent.includes('failed')")
    assert "503" in _indicator(page) and "trying again" in _indicator(page)
    page.keyboard.type(", still typing")  # never blocked
    assert page.input_value("textarea[name=text]") == "Written while the server is away, still typing"
    page.wait_for_function("() => document.getElementById('draft-indicator').textContent.includes('failed')")
    assert refused
    page.unroute("**/work/**")
    _wait_saved(page)
    annotation.refresh_from_db()
    assert annotation.result == {"text": "Written while the server is away, still typing"}
    assert annotation.state == Annotation.State.DRAFT
    assert _indicator(page) == _shown_time(annotation)
    assert errors == []


def test_an_autosave_racing_the_submit_never_reopens_the_submitted_work(page, login, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator], tasks=2)
    errors = _watch_errors(page)
    login("ann1")
    page.goto(f"/work/{project.pk}/")
    first = _current_annotation(page)
    page.evaluate("() => { window.scriptoriumAutosave.delayMs = 0; }")  # a save on every keystroke
    page.keyboard.press("e")
    page.keyboard.type("Handed in while saves were flying")
    page.keyboard.press("Control+Enter")
    page.wait_for_function(
        "(id) => document.getElementById('work-area')?.dataset.annotationId !== String(id)", arg=first.pk
    )
    page.wait_for_load_state("networkidle")
    first.refresh_from_db()
    assert first.state == Annotation.State.SUBMITTED
    assert first.result == {"text": "Handed in while saves were flying"}
    # The next task's screen says nothing about the old one's late saves.
    assert _indicator(page) == "Not saved yet"
    assert "failed" not in page.inner_text("#work-area") and "already submitted" not in page.inner_text("#work-area")
    assert errors == []


def test_logged_out_mid_answer_says_so_and_saves_after_logging_in_again_elsewhere(page, login, annotator, make_project):
    from tests.conftest import PASSWORD

    project = make_project(Project.Kind.WRITE, members=[annotator])
    errors = _watch_errors(page)
    login("ann1")
    page.goto(f"/work/{project.pk}/")
    annotation = _current_annotation(page)
    other = page.context.new_page()  # another tab of the same browser
    other.goto("/")
    other.click("form.logout button[type=submit]")
    other.wait_for_url("**/accounts/login/**")
    page.bring_to_front()
    page.keyboard.press("e")
    page.keyboard.type("Typed after my session ended")
    page.wait_for_function("() => document.getElementById('draft-indicator').textContent.includes('logged out')")
    annotation.refresh_from_db()
    assert annotation.result == {}
    # Logging in again (a new CSRF token) in the other tab: the next retry goes through.
    other.fill("input[name=username]", "ann1")
    other.fill("input[name=password]", PASSWORD)
    other.click("button[type=submit]")
    other.wait_for_url("**/")
    page.bring_to_front()
    _wait_saved(page, timeout=40_000)  # the next retry, or at once when the page is back in front
    annotation.refresh_from_db()
    assert annotation.result == {"text": "Typed after my session ended"} and annotation.state == Annotation.State.DRAFT
    assert errors == []

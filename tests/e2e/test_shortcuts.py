"""The one keyboard rule in real Chromium, screen by screen: with the cursor in a text box a letter or
digit types itself and does nothing else; after Esc the same key is a shortcut. Nothing puts the
cursor in a text box on load, and comparison rows never move on by themselves."""

import pytest

from annotations.models import Annotation, Project
from tests.annotations.review_helpers import rubric_add, submitted

pytestmark = pytest.mark.e2e

RULE = "Single keys (letters, digits, arrows, ?) are shortcuts only while the cursor is not in a text box"


def _watch_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def _open_work(page, project):
    page.goto(f"/work/{project.pk}/")
    page.wait_for_function("() => document.getElementById('work-area')?.dataset.keysReady === '1'")


def _focused_name(page) -> str:
    return page.evaluate("() => document.activeElement?.name || document.activeElement?.tagName || ''")


def _current_annotation(page) -> Annotation:
    return Annotation.objects.get(pk=int(page.get_attribute("#work-area", "data-annotation-id")))


def _shortcuts_dialog_states_the_rule(page):
    page.keyboard.press("?")
    dialog = page.locator("#shortcuts-dialog")
    assert dialog.is_visible()
    assert RULE in " ".join(dialog.get_by_test_id("shortcut-rule").inner_text().split())
    page.keyboard.press("Escape")
    assert not dialog.is_visible()


def test_home_digit_in_a_text_box_types_and_opens_nothing(page, login, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator], slug="a-write")
    errors = _watch_errors(page)
    login("ann1")
    assert RULE in " ".join(page.get_by_test_id("shortcut-rule").inner_text().split())
    # The home page has no text box of its own; any text box on it (the browser's or a later
    # search field) follows the same rule.
    page.evaluate(
        "() => { const box = document.createElement('input'); box.type = 'text'; box.id = 'probe';"
        " document.querySelector('main').prepend(box); box.focus(); }"
    )
    page.keyboard.press("1")
    assert page.input_value("#probe") == "1"
    assert page.url.endswith("/")
    page.keyboard.press("Escape")
    assert _focused_name(page) != "INPUT"
    page.keyboard.press("1")
    page.wait_for_url(f"**/work/{project.pk}/")
    assert errors == []


def test_write_screen_g_types_in_the_editor_and_opens_the_guideline_outside(page, login, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator], tasks=2)
    errors = _watch_errors(page)
    login("ann1")
    _open_work(page, project)
    guideline = page.locator("#guideline-dialog")
    # Nothing has the focus on load: G opens the guideline and types nothing.
    assert _focused_name(page) != "text"
    page.keyboard.press("g")
    assert guideline.is_visible()
    page.keyboard.press("Escape")
    assert page.input_value("textarea[name=text]") == ""
    # In the editor every key types, and only types.
    page.keyboard.press("e")
    page.keyboard.type("gx?")
    assert page.input_value("textarea[name=text]") == "gx?"
    assert not guideline.is_visible()
    assert page.locator("#skip-form").is_hidden()
    assert not page.locator("#shortcuts-dialog").is_visible()
    # Esc leaves the editor; then G is the guideline again.
    page.keyboard.press("Escape")
    page.keyboard.press("g")
    assert guideline.is_visible()
    page.keyboard.press("Escape")
    _shortcuts_dialog_states_the_rule(page)
    # Ctrl+Enter works from inside the editor; the next task does not put the cursor in its editor.
    first = _current_annotation(page)
    page.keyboard.press("e")
    page.keyboard.press("Control+Enter")
    page.wait_for_function(
        "(id) => document.getElementById('work-area')?.dataset.annotationId !== String(id)", arg=first.pk
    )
    assert _focused_name(page) != "text"
    page.keyboard.press("g")
    assert guideline.is_visible()
    page.keyboard.press("Escape")
    assert page.input_value("textarea[name=text]") == ""
    first.refresh_from_db()
    assert (first.state, first.result) == (Annotation.State.SUBMITTED, {"text": "gx?"})
    assert errors == []


def test_classify_screen_digit_in_the_rationale_chooses_no_label(page, login, annotator, make_project):
    project = make_project(Project.Kind.CLASSIFY, members=[annotator])
    errors = _watch_errors(page)
    login("ann1")
    _open_work(page, project)
    page.keyboard.press("e")
    page.keyboard.type("1 word, 2 words")
    assert page.input_value("textarea[name=text]") == "1 word, 2 words"
    assert page.locator("input[name=label]:checked").count() == 0
    page.keyboard.press("Escape")
    page.keyboard.press("2")
    assert page.is_checked("input[name=label][value=negative]")
    assert page.input_value("textarea[name=text]") == "1 word, 2 words"
    _shortcuts_dialog_states_the_rule(page)
    assert errors == []


def test_compare_screen_letters_in_the_rationale_choose_nothing(page, login, annotator, make_project):
    project = make_project(Project.Kind.COMPARE, members=[annotator])
    errors = _watch_errors(page)
    login("ann1")
    _open_work(page, project)
    page.keyboard.press("e")
    page.keyboard.type("lt2 r")
    assert page.input_value("textarea[name=rationale]") == "lt2 r"
    assert page.locator("#work-form .pref-row input:checked").count() == 0
    page.keyboard.press("Escape")
    page.keyboard.press("l")
    assert page.is_checked("input[name=dim-accuracy][value=left]")
    assert page.input_value("textarea[name=rationale]") == "lt2 r"
    _shortcuts_dialog_states_the_rule(page)
    assert "Nothing moves on by itself" in page.locator("#shortcuts-dialog").inner_text()
    assert errors == []


def test_compare_rows_move_only_on_enter_so_an_extra_key_never_skips_one(page, login, annotator, make_project):
    project = make_project(Project.Kind.COMPARE, members=[annotator], text_required=False)
    errors = _watch_errors(page)
    login("ann1")
    _open_work(page, project)
    annotation = _current_annotation(page)
    left, right = annotation.left_response, "b" if annotation.left_response == "a" else "a"

    def active() -> str:
        return page.get_attribute(".pref-row.is-active", "data-pref")

    assert active() == "dim-accuracy"
    page.keyboard.press("t")  # a tie waits like any other choice
    assert active() == "dim-accuracy"
    page.keyboard.press("3")  # a strength after a tie: nothing to set, and no move
    assert active() == "dim-accuracy"
    assert page.locator("input[name=dim-accuracy-strength]:checked").count() == 0
    page.keyboard.press("Enter")
    assert active() == "dim-helpfulness"
    page.keyboard.press("Enter")  # not answered yet: Enter stays
    assert active() == "dim-helpfulness"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("2")  # left, clearly: still here until Enter
    assert active() == "dim-helpfulness"
    page.keyboard.press("Enter")
    assert active() == "overall"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("1")
    page.keyboard.press("Enter")  # the last row: nowhere further to go
    assert active() == "overall"
    page.keyboard.press("Control+Enter")
    page.wait_for_function(
        "(id) => document.getElementById('work-area')?.dataset.annotationId !== String(id)", arg=annotation.pk
    )
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.SUBMITTED
    assert annotation.result["dimensions"] == {
        "accuracy": {"choice": "tie", "strength": 0},
        "helpfulness": {"choice": left, "strength": 2},
    }
    assert annotation.result["overall"] == {"choice": right, "strength": 1}
    assert errors == []


def test_review_screen_letters_in_the_feedback_choose_no_verdict(page, login, make_project, annotator, reviewer):
    project = make_project(members=[annotator, reviewer], tasks=1, double_review_rate=0.0)
    rubric_add(project)
    work = submitted(project, annotator, result={"text": "Photosynthesis stores light as sugar."})
    errors = _watch_errors(page)
    login("rev1")
    page.goto(f"/review/{work.pk}/")
    page.get_by_test_id("score-hints").wait_for()
    feedback = page.get_by_test_id("feedback")
    page.keyboard.press("f")
    page.keyboard.type("far 4 e")
    assert feedback.input_value() == "far 4 e"
    assert page.locator("input[name=verdict]:checked").count() == 0
    assert page.locator("[data-scoring-form] input[type=radio][name^=score-]:checked").count() == 0
    assert not page.is_checked("input[name=exemplary]")
    page.keyboard.press("Escape")
    page.keyboard.press("r")  # a verdict key chooses the verdict and leaves the cursor where it was
    assert page.is_checked("input[name=verdict][value=revise]")
    assert _focused_name(page) != "feedback"
    page.keyboard.press("e")
    assert page.is_checked("input[name=exemplary]")
    assert feedback.input_value() == "far 4 e"
    _shortcuts_dialog_states_the_rule(page)
    assert errors == []

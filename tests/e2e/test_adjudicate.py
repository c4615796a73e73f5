"""The adjudication screen in real Chromium: the keyboard rule (a key in a text box only types, after
Esc it acts), number keys for the final label, A/B/T with 1-3 for a comparison, Ctrl+Enter records,
and the log shows the decision in words."""

import pytest

from annotations.models import Adjudication, Project
from tests.annotations.review_helpers import submitted

pytestmark = pytest.mark.e2e

RULE = "Single keys (letters, digits, arrows, ?) are shortcuts only while the cursor is not in a text box"


def _watch_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def test_classify_adjudication_by_keyboard_types_in_text_boxes_and_acts_outside(
    page, login, make_project, annotator, other_annotator, reviewer
):
    project = make_project(Project.Kind.CLASSIFY, members=[annotator, other_annotator, reviewer], tasks=1)
    task = project.tasks.get()
    a = submitted(project, annotator, task=task, result={"label": "positive", "text": "Glad tone."})
    b = submitted(project, other_annotator, task=task, result={"label": "neutral", "text": ""})
    errors = _watch_errors(page)
    login("rev1")
    page.goto(f"/adjudicate/{task.pk}/?source=annotators")
    assert "Glad tone." in page.get_by_test_id("versions").inner_text()

    page.keyboard.press("?")
    dialog = page.locator("#shortcuts-dialog")
    assert RULE in " ".join(dialog.get_by_test_id("shortcut-rule").inner_text().split())
    page.keyboard.press("Escape")
    assert not dialog.is_visible()

    # W puts the cursor in the reasoning: digits there type and choose no label.
    page.keyboard.press("w")
    page.keyboard.type("2 of 3 cues are neutral")
    reasoning = page.get_by_test_id("reasoning")
    assert reasoning.input_value() == "2 of 3 cues are neutral"
    assert page.locator("input[name=label]:checked").count() == 0
    # Esc leaves it; then 3 chooses the third label.
    page.keyboard.press("Escape")
    page.keyboard.press("3")
    assert page.is_checked("input[name=label][value=neutral]")
    page.keyboard.press("e")
    page.keyboard.type("Neutral wording")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"**/adjudicate/?project={project.pk}")
    decision = Adjudication.objects.get()
    assert decision.final_result == {"label": "neutral", "text": "Neutral wording"}
    assert decision.reasoning == "2 of 3 cues are neutral"
    assert set(decision.considered.values_list("pk", flat=True)) == {a.pk, b.pk}
    row = page.get_by_test_id("log-row")
    assert "neutral" in row.get_by_test_id("log-final").inner_text()
    assert "{" not in row.inner_text()
    assert errors == []


def test_compare_adjudication_rows_wait_for_enter_and_an_unfinished_row_is_named(
    page, login, make_project, annotator, other_annotator, reviewer
):
    project = make_project(Project.Kind.COMPARE, members=[annotator, other_annotator, reviewer], tasks=1)
    task = project.tasks.get()
    tie = {"choice": "tie", "strength": 0}
    submitted(
        project,
        annotator,
        task=task,
        result={
            "dimensions": {"accuracy": tie, "helpfulness": tie},
            "overall": {"choice": "a", "strength": 1},
            "rationale": "A.",
        },
    )
    submitted(
        project,
        other_annotator,
        task=task,
        result={
            "dimensions": {"accuracy": tie, "helpfulness": tie},
            "overall": {"choice": "b", "strength": 3},
            "rationale": "B.",
        },
    )
    errors = _watch_errors(page)
    login("rev1")
    page.goto(f"/adjudicate/{task.pk}/?source=annotators")
    versions = page.get_by_test_id("versions").inner_text()
    assert "Response A, slightly better" in versions and "Response B, much better" in versions

    def active() -> str:
        return page.get_attribute("[data-adjudicate-row].is-active", "data-field")

    assert active() == "dim-accuracy"
    page.keyboard.press("t")
    assert active() == "dim-accuracy"  # a choice never moves on by itself
    page.keyboard.press("Enter")
    page.keyboard.press("b")
    page.keyboard.press("Enter")  # B without a strength: not answered, Enter stays
    assert active() == "dim-helpfulness"
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    assert active() == "overall"
    page.keyboard.press("a")  # overall: A, strength left out on purpose
    page.keyboard.press("e")
    page.keyboard.type("abt 123")  # letters and digits in the rationale only type
    assert page.input_value("#final-rationale") == "abt 123"
    assert page.is_checked("#overall-a") and page.locator("input[name=overall-strength]:checked").count() == 0
    page.keyboard.press("Escape")
    page.keyboard.press("w")
    page.keyboard.type("A states the figure.")
    page.keyboard.press("Control+Enter")
    # The form posts the whole page: wait for the answer, which names the unfinished row.
    page.wait_for_function("() => document.getElementById('error-overall')?.textContent.trim()")
    page.wait_for_load_state()  # and its keyboard module has run
    error = page.locator("#error-overall")
    assert error.inner_text() == "Say how much better: 1 slightly, 2 clearly, 3 much."
    assert not Adjudication.objects.exists()
    # What was chosen and typed stays; the unfinished row is the active one.
    assert page.is_checked("#dim-accuracy-tie") and page.is_checked("#dim-helpfulness-strength-2")
    assert page.get_by_test_id("reasoning").input_value() == "A states the figure."
    assert active() == "overall"
    page.keyboard.press("3")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"**/adjudicate/?project={project.pk}")
    assert Adjudication.objects.get().final_result == {
        "dimensions": {"accuracy": tie, "helpfulness": {"choice": "b", "strength": 2}},
        "overall": {"choice": "a", "strength": 3},
        "rationale": "abt 123",
    }
    final = page.get_by_test_id("log-final").inner_text()
    assert "Helpfulness: Response B, clearly better" in final and "Response A, much better" in final
    assert errors == []

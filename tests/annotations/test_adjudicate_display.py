"""The adjudication screens show results in words (labels, choices with their strength, verdicts,
rubric dimension names), never stored dicts or internal names, and label every control."""

import re

import pytest

from annotations import roles
from annotations.models import Adjudication, Project
from annotations.services.review import review_create
from tests.annotations.review_helpers import GOOD, rubric_add, submitted

pytestmark = pytest.mark.django_db

RAW = ("{'choice'", "'strength'", "{&#x27;choice", "&#x27;strength", "{'verdict'", "&#x27;verdict")


def _compare(make_project, annotator, other_annotator, reviewer):
    project = make_project(Project.Kind.COMPARE, members=[annotator, other_annotator, reviewer], tasks=1)
    task = project.tasks.get()
    first = {
        "dimensions": {"accuracy": {"choice": "a", "strength": 3}, "helpfulness": {"choice": "tie", "strength": 0}},
        "overall": {"choice": "a", "strength": 2},
        "rationale": "A cites the source.",
    }
    second = {
        "dimensions": {"accuracy": {"choice": "b", "strength": 1}, "helpfulness": {"choice": "b", "strength": 2}},
        "overall": {"choice": "b", "strength": 1},
        "rationale": "B is friendlier.",
    }
    a = submitted(project, annotator, task=task, result=first)
    b = submitted(project, other_annotator, task=task, result=second)
    return project, task, a, b


def _unlabelled_controls(html: str) -> list[str]:
    """Visible form controls of the final-answer form with neither a <label for> nor an aria-label."""
    form = html[html.index('id="adjudicate-form"') : html.index("</form>", html.index('id="adjudicate-form"'))]
    labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
    missing = []
    for tag in re.findall(r"<(?:input|textarea|select)\b[^>]*>", form):
        if 'type="hidden"' in tag or "aria-label=" in tag:
            continue
        found = re.search(r'\bid="([^"]+)"', tag)
        if not found or found.group(1) not in labelled:
            missing.append(tag)
    return missing


def test_compare_adjudication_shows_choices_in_words_and_labels_its_controls(
    client, make_project, annotator, other_annotator, reviewer
):
    project, task, a, b = _compare(make_project, annotator, other_annotator, reviewer)
    client.force_login(reviewer)
    listing = client.get(f"/adjudicate/?project={project.pk}").content.decode()
    assert "Response A, Response B" in listing  # what they disagreed on, not "a, b"
    page = client.get(f"/adjudicate/{task.pk}/?source=annotators").content.decode()
    for words in ("Response A, much better", "Accuracy: Response A, much better", "Helpfulness: Tie"):
        assert words in page
    assert "Response B, slightly better" in page and "B is friendlier." in page
    assert not [raw for raw in RAW if raw in page]
    assert _unlabelled_controls(page) == []
    assert 'data-testid="shortcut-rule"' in page

    # A comparison left half-answered: the error is beside its question and what was chosen stays.
    post = {
        "source": "annotators",
        "considered": [a.pk, b.pk],
        "dim-accuracy": "a",
        "dim-accuracy-strength": "3",
        "dim-helpfulness": "b",
        "overall": "tie",
        "rationale": "Accuracy decides.",
        "reasoning": "A is right, B is wrong.",
    }
    response = client.post(f"/adjudicate/{task.pk}/", post)
    assert response.status_code == 422
    page = response.content.decode()
    helpfulness = page[page.index('data-testid="final-dim-helpfulness"') : page.index('data-testid="final-overall"')]
    assert "Say how much better: 1 slightly, 2 clearly, 3 much." in helpfulness
    assert re.search(r'id="dim-accuracy-a" name="dim-accuracy" value="a" data-choice checked', page)
    assert re.search(r'id="dim-accuracy-strength-3" name="dim-accuracy-strength" value="3" data-strength checked', page)
    assert "A is right, B is wrong." in page and "Accuracy decides." in page
    assert "final_result" not in page and "dimensions.helpfulness" not in page
    assert not Adjudication.objects.exists()

    response = client.post(f"/adjudicate/{task.pk}/", {**post, "dim-helpfulness-strength": "2"})
    assert response.status_code == 302
    assert Adjudication.objects.get().final_result["dimensions"]["helpfulness"] == {"choice": "b", "strength": 2}
    listing = client.get(f"/adjudicate/?project={project.pk}").content.decode()
    log = listing[listing.index('data-testid="log-final"') :]
    assert "Helpfulness: Response B, clearly better" in log and "Overall:" in log and "Tie" in log
    assert not [raw for raw in RAW if raw in listing]


def test_reviewer_disagreement_shows_verdicts_and_scores_by_dimension_name(client, make_project, annotator, make_user):
    first, second = make_user("rev1", roles.REVIEWER), make_user("rev2", roles.REVIEWER)
    judge = make_user("judge", roles.REVIEWER)
    project = make_project(members=[annotator, first, second, judge], tasks=1)
    rubric_add(project)
    work = submitted(project, annotator, reviews_wanted=2)
    review_create(annotation=work, reviewer=first, scores=GOOD, verdict="accept")
    review_create(annotation=work, reviewer=second, scores=GOOD, verdict="reject", feedback="Off topic.")
    client.force_login(judge)
    listing = client.get(f"/adjudicate/?project={project.pk}").content.decode()
    assert "Accept vs Reject" in listing
    page = client.get(f"/adjudicate/{work.task_id}/?source=reviewers").content.decode()
    assert "Accuracy 4/5, Clarity 5/5, Completeness 3/5" in page
    assert "accuracy 4" not in page
    assert _unlabelled_controls(page) == []
    response = client.post(
        f"/adjudicate/{work.task_id}/",
        {"source": "reviewers", "considered": [work.pk], "verdict": "accept", "reasoning": "On topic after all."},
    )
    assert response.status_code == 302
    listing = client.get(f"/adjudicate/?project={project.pk}").content.decode()
    assert "<strong>Accept</strong>" in listing[listing.index('data-testid="log-final"') :]
    assert not [raw for raw in RAW if raw in listing]

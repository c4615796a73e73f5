"""A rubric dimension that does not apply is scored n/a (stored as null): the service, the review form,
the API, the annotator's feedback, the adjudication lines and the export's weighted score."""

import pytest
from django.core.exceptions import ValidationError

from annotations.models import Review
from annotations.selectors_review import score_history_by_project
from annotations.services.io import export_create, export_rows
from annotations.services.review import review_create
from annotations.views.review import _review_lines
from tests.annotations.review_helpers import rubric_add, submitted

NA = {"accuracy": 4, "clarity": None, "completeness": 3}


@pytest.fixture
def project(make_project, annotator, other_annotator, reviewer):
    project = make_project(members=[annotator, other_annotator, reviewer], tasks=4, double_review_rate=0.0)
    rubric_add(project)
    return project


def test_null_is_stored_as_na_and_a_left_out_dimension_is_still_an_error(project, annotator, reviewer):
    work = submitted(project, annotator)
    with pytest.raises(ValidationError) as caught:
        review_create(annotation=work, reviewer=reviewer, scores={"accuracy": 4, "clarity": None}, verdict="accept")
    assert caught.value.message_dict == {"scores.completeness": ["Score Completeness (1-5)."]}
    review = review_create(annotation=work, reviewer=reviewer, scores=NA, verdict="accept")
    review.refresh_from_db()
    assert review.scores == {"accuracy": 4, "clarity": None, "completeness": 3}


@pytest.mark.parametrize("bad", ["abc", "n/a", True, [3], {"score": 3}, 2.5])
def test_anything_else_not_a_number_is_refused_naming_the_dimension(project, annotator, reviewer, bad):
    work = submitted(project, annotator)
    with pytest.raises(ValidationError) as caught:
        review_create(annotation=work, reviewer=reviewer, scores={**NA, "clarity": bad}, verdict="accept")
    assert list(caught.value.message_dict) == ["scores.clarity"]
    assert caught.value.message_dict["scores.clarity"] == [
        f"Clarity must be a whole number from 1 to 5 (or null for n/a), not {bad!r}."
    ]
    assert Review.objects.count() == 0


def test_the_review_form_round_trips_na(client, project, annotator, reviewer):
    work = submitted(project, annotator)
    client.force_login(reviewer)
    response = client.get(f"/review/{work.pk}/")
    page, opened = response.content.decode(), response.context["opened"]
    assert 'name="score-clarity" value="na"' in page  # offered beside the numbers
    assert "<kbd>-</kbd> n/a" in page  # and its key is in the hints
    # A refused post keeps the n/a that was chosen.
    post = {"score-accuracy": "4", "score-clarity": "na", "score-completeness": "3", "verdict": "", "opened": opened}
    response = client.post(f"/review/{work.pk}/", post)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Choose a verdict" in html
    assert 'value="na" checked data-testid="na-clarity"' in html
    assert 'value="na" checked data-testid="na-accuracy"' not in html
    response = client.post(f"/review/{work.pk}/", {**post, "verdict": "accept"})
    assert response.status_code == 302
    assert Review.objects.get().scores == NA


def test_the_api_accepts_null_and_refuses_abc_naming_the_dimension(client, project, annotator, reviewer):
    work = submitted(project, annotator)
    client.force_login(reviewer)
    body = {"annotation": work.pk, "scores": {**NA, "clarity": "abc"}, "verdict": "accept"}
    response = client.post("/api/reviews/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "scores.clarity": ["Clarity must be a whole number from 1 to 5 (or null for n/a), not 'abc'."]
    }
    response = client.post("/api/reviews/", {**body, "scores": NA}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["scores"] == NA
    client.force_login(annotator)
    assert client.get("/api/reviews/").json()["results"][0]["scores"] == NA


def test_the_annotator_reads_na_and_their_chart_leaves_it_out(client, project, annotator, reviewer):
    first, second = submitted(project, annotator), submitted(project, annotator)
    review_create(annotation=first, reviewer=reviewer, scores=NA, verdict="accept")
    review_create(annotation=second, reviewer=reviewer, scores={**NA, "clarity": 2}, verdict="accept")
    client.force_login(annotator)
    html = client.get("/feedback/").content.decode()
    rows = [part.split("</tr>")[0] for part in html.split('data-testid="score-clarity"')[1:]]
    assert len(rows) == 2
    assert sum("n/a" in row for row in rows) == 1 and "None" not in html
    ((entry),) = score_history_by_project(user=annotator)
    clarity = entry["series"][f"p{project.pk}-clarity"]
    assert clarity["points"] == [[2, 2.0]]  # only the review that scored it
    assert entry["series"][f"p{project.pk}-accuracy"]["points"] == [[1, 4.0], [2, 4.0]]


def test_adjudication_lines_say_na(project, annotator, reviewer):
    work = submitted(project, annotator)
    review_create(annotation=work, reviewer=reviewer, scores=NA, verdict="accept")
    (line,) = _review_lines(work)
    assert {s["name"]: (s["value"], s["max"]) for s in line["scores"]} == {
        "Accuracy": (4, 5),
        "Clarity": ("n/a", None),
        "Completeness": (3, 5),
    }


def test_the_export_weighted_score_reweights_over_the_dimensions_that_apply(make_project, annotator, reviewer):
    project = make_project(members=[annotator, reviewer], tasks=2, double_review_rate=0.0)
    rubric_add(project, dims=[("accuracy", "Accuracy", "", 2.0), ("rationale", "Rationale", "", 1.0)])
    work = submitted(project, annotator)
    review_create(annotation=work, reviewer=reviewer, scores={"accuracy": 4, "rationale": None}, verdict="accept")
    (row,) = list(export_rows(export=export_create(project=project, fmt="jsonl")))
    assert row["review_score"] == 4.0  # not (2 * 4 + 1 * 0) / 3

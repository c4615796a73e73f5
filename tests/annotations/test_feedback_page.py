"""The annotator's feedback page: each chart names its project, and each review leads to the work it is
about (the work screen when it was sent back, else the reviewed answer shown with the review)."""

import json

from annotations.models import Annotation
from annotations.services.review import review_create
from annotations.services.work import annotation_submit
from tests.annotations.review_helpers import GOOD, rubric_add, submitted


def _page(client, user) -> str:
    client.force_login(user)
    response = client.get("/feedback/")
    assert response.status_code == 200
    return response.content.decode()


def test_each_chart_names_its_project(client, make_project, annotator, reviewer):
    essays = make_project(members=[annotator, reviewer], slug="essays", double_review_rate=0.0)
    stories = make_project(members=[annotator, reviewer], slug="stories", double_review_rate=0.0)
    for project, accuracy in ((essays, 2), (stories, 5)):
        rubric_add(project)
        work = submitted(project, annotator)
        review_create(annotation=work, reviewer=reviewer, scores={**GOOD, "accuracy": accuracy}, verdict="accept")
    page = _page(client, annotator)
    assert "<figcaption>Essays: Accuracy</figcaption>" in page
    assert "<figcaption>Stories: Accuracy</figcaption>" in page
    assert 'data-testid="charts-essays"' in page and 'data-testid="charts-stories"' in page
    series = json.loads(page.split('id="score-history" type="application/json">')[1].split("</script>")[0])
    assert series[f"p{essays.pk}-accuracy"]["points"] == [[1, 2.0]]
    assert series[f"p{stories.pk}-accuracy"]["points"] == [[1, 5.0]]  # the first in its own project


def test_returned_work_links_to_the_work_screen_and_other_reviews_show_what_was_reviewed(
    client, make_project, annotator, reviewer
):
    project = make_project(members=[annotator, reviewer], slug="essays", double_review_rate=0.0)
    rubric_add(project)
    kept = submitted(project, annotator, result={"text": "Chlorophyll absorbs red and blue light."})
    review_create(annotation=kept, reviewer=reviewer, scores=GOOD, verdict="accept")
    sent_back = submitted(project, annotator, result={"text": "Plants eat sunlight."})
    review_create(annotation=sent_back, reviewer=reviewer, scores=GOOD, verdict="revise", feedback="Say how.")

    page = _page(client, annotator)
    work_url = f"/work/{project.pk}/annotations/{sent_back.pk}/"
    assert page.count(f'href="{work_url}" data-testid="review-revise-link"') == 1
    assert "Chlorophyll absorbs red and blue light." in page  # the accepted answer, inline with its review
    assert page.count('data-testid="review-revise-link"') == 1

    sent_back.refresh_from_db()
    annotation_submit(annotation=sent_back, result={"text": "Light drives the making of sugar from CO2."})
    sent_back.refresh_from_db()
    assert (sent_back.state, sent_back.version) == (Annotation.State.SUBMITTED, 2)
    page = _page(client, annotator)
    assert 'data-testid="review-revise-link"' not in page  # revised: nothing left to do on the work screen
    assert "Plants eat sunlight." in page  # the review of version 1 shows version 1, not the revision

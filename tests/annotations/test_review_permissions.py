"""Who may see and do what on every review screen and API route: annotator (author), other annotator,
reviewer and project admin."""

import time

import pytest
from django.core import signing
from django.template.loader import render_to_string

from annotations import roles
from annotations.models import Review
from annotations.selectors_review import exemplars_for
from annotations.services.review import review_create
from annotations.views.review import OPENED_SALT
from tests.annotations.review_helpers import GOOD, rubric_add, submitted
from tests.conftest import join


@pytest.fixture
def setup(make_project, annotator, other_annotator, reviewer, project_admin):
    project = make_project(
        members=[annotator, other_annotator, reviewer, project_admin], tasks=4, double_review_rate=0.0
    )
    rubric_add(project)
    mine = submitted(project, annotator, result={"text": "Ann one's careful answer."})
    theirs = submitted(project, other_annotator, result={"text": "Ann two's answer."})
    return {"project": project, "mine": mine, "theirs": theirs}


def screens(setup) -> dict[str, str]:
    return {
        "queue": "/review/",
        "annotation": f"/review/{setup['mine'].pk}/",
        "adjudication": "/adjudicate/",
        "adjudicate task": f"/adjudicate/{setup['mine'].task_id}/",
    }


@pytest.mark.parametrize("who", ["annotator", "other_annotator"])
def test_annotators_get_403_on_every_review_screen(client, setup, request, who):
    client.force_login(request.getfixturevalue(who))
    for name, url in {**screens(setup), "calibration": "/review/calibration/"}.items():
        assert client.get(url).status_code == 403, name
    response = client.post(
        f"/review/{setup['mine'].pk}/", {"verdict": "accept", **{f"score-{k}": v for k, v in GOOD.items()}}
    )
    assert response.status_code == 403
    assert Review.objects.count() == 0


@pytest.mark.parametrize("who", ["reviewer", "project_admin"])
def test_reviewers_and_admins_open_the_review_screens(client, setup, request, who):
    client.force_login(request.getfixturevalue(who))
    for name, url in screens(setup).items():
        assert client.get(url).status_code == 200, name
    body = client.get("/review/").content.decode()
    assert body.count('data-testid="queue-row"') == 2


def test_reviewers_and_project_admins_see_calibration(client, setup, reviewer, project_admin):
    client.force_login(reviewer)  # calibration is about the reviewers: they see it for projects they review
    assert 'data-testid="calibration-dimensions"' in client.get("/review/calibration/").content.decode()
    client.force_login(project_admin)
    body = client.get("/review/calibration/").content.decode()
    assert 'data-testid="calibration-dimensions"' in body and "Accuracy" in body


def test_a_reviewer_outside_the_project_sees_nothing_of_it(client, setup, make_user, make_project):
    outsider = make_user("rev-out", roles.REVIEWER)
    make_project(members=[outsider], slug="elsewhere", tasks=0)  # a reviewer, but of another project
    client.force_login(outsider)
    assert 'data-testid="queue-empty"' in client.get("/review/").content.decode()
    assert client.get(f"/review/{setup['mine'].pk}/").status_code == 404
    assert client.get(f"/adjudicate/{setup['mine'].task_id}/").status_code == 404


def test_a_reviewer_cannot_open_or_review_their_own_annotation(client, setup, make_user):
    both = make_user("rev-ann", roles.REVIEWER)
    join(setup["project"], both, roles.REVIEWER, roles.ANNOTATOR)
    own = submitted(setup["project"], both)
    client.force_login(both)
    assert client.get(f"/review/{own.pk}/").status_code == 403
    post = {"verdict": "accept", **{f"score-{k}": v for k, v in GOOD.items()}}
    assert client.post(f"/review/{own.pk}/", post).status_code == 403
    queue = client.get("/review/").content.decode()
    assert f'data-annotation="{own.pk}"' not in queue and f'data-annotation="{setup["mine"].pk}"' in queue
    assert Review.objects.count() == 0


def test_review_form_saves_scores_with_server_measured_time(client, setup, reviewer):
    client.force_login(reviewer)
    mine = setup["mine"]
    assert client.get(f"/review/{mine.pk}/").status_code == 200
    opened = signing.dumps({"a": mine.pk, "u": reviewer.pk, "t": time.time() - 90}, salt=OPENED_SALT)
    post = {"verdict": "accept", "opened": opened, "feedback": "Clear.", **{f"score-{k}": v for k, v in GOOD.items()}}
    response = client.post(f"/review/{mine.pk}/", post)
    assert response.status_code == 302  # to the next annotation in the queue
    assert response["Location"] == f"/review/{setup['theirs'].pk}/"
    review = Review.objects.get()
    assert review.scores == GOOD and review.verdict == "accept"
    assert 90 <= review.seconds_spent < 3600


def test_an_htmx_review_says_saved_in_the_swap_and_leaves_no_stale_message(client, setup, reviewer):
    client.force_login(reviewer)
    mine = setup["mine"]
    opened = signing.dumps({"a": mine.pk, "u": reviewer.pk, "t": time.time() - 30}, salt=OPENED_SALT)
    post = {"verdict": "accept", "opened": opened, **{f"score-{k}": v for k, v in GOOD.items()}}
    swapped = client.post(f"/review/{mine.pk}/", post, headers={"HX-Request": "true"})
    assert f"Review of annotation {mine.pk} saved." in swapped.content.decode()
    # The next full page must not repeat it as a leftover flash message.
    assert f"Review of annotation {mine.pk} saved." not in client.get("/review/").content.decode()


def test_review_form_refuses_a_forged_timer_and_names_missing_scores(client, setup, reviewer):
    client.force_login(reviewer)
    mine = setup["mine"]
    forged = signing.dumps({"a": mine.pk, "u": reviewer.pk, "t": time.time() - 90}, salt="another salt")
    response = client.post(f"/review/{mine.pk}/", {"verdict": "accept", "opened": forged, "score-accuracy": "4"})
    body = response.content.decode()
    assert response.status_code == 422
    assert "timer is missing or altered" in body
    assert Review.objects.count() == 0
    good = signing.dumps({"a": mine.pk, "u": reviewer.pk, "t": time.time()}, salt=OPENED_SALT)
    response = client.post(f"/review/{mine.pk}/", {"verdict": "accept", "opened": good, "score-accuracy": "4"})
    body = response.content.decode()
    assert "Score Clarity (1-5)." in body and "Score Completeness (1-5)." in body
    assert 'value="4" checked' in body  # what was entered is kept


def test_blind_review_hides_the_annotator(client, setup, reviewer):
    project = setup["project"]
    client.force_login(reviewer)
    assert "ann1" in client.get(f"/review/{setup['mine'].pk}/").content.decode()
    project.blind_review = True
    project.save()
    for url in ("/review/", f"/review/{setup['mine'].pk}/"):
        body = client.get(url).content.decode()
        assert "ann1" not in body.replace('data-testid="who">rev1', "") and "ann2" not in body, url


def test_feedback_shows_only_reviews_of_my_own_work(client, setup, annotator, other_annotator, reviewer):
    review_create(
        annotation=setup["mine"], reviewer=reviewer, scores=GOOD, verdict="accept", feedback="Well sourced, ann1."
    )
    review_create(
        annotation=setup["theirs"], reviewer=reviewer, scores=GOOD, verdict="reject", feedback="Secret to ann2."
    )
    client.force_login(annotator)
    body = client.get("/feedback/").content.decode()
    assert "Well sourced, ann1." in body and "Secret to ann2." not in body
    assert body.count('data-testid="review-item"') == 1
    assert "rev1" not in body.replace('data-testid="who">', "")  # reviewers are not named to annotators
    client.force_login(other_annotator)
    body = client.get("/feedback/").content.decode()
    assert "Secret to ann2." in body and "Well sourced, ann1." not in body


def test_returned_work_goes_back_to_its_author_and_the_resubmission_keeps_both_versions(
    client, setup, annotator, other_annotator, reviewer
):
    mine, project = setup["mine"], setup["project"]
    review_create(annotation=mine, reviewer=reviewer, scores=GOOD, verdict="revise", feedback="Add an example.")
    client.force_login(other_annotator)
    assert 'data-testid="returned-item"' not in client.get("/feedback/").content.decode()
    client.force_login(annotator)
    body = client.get("/feedback/").content.decode()
    assert 'data-testid="returned-item"' in body and "Add an example." in body
    revise = f"/work/{project.pk}/annotations/{mine.pk}/"
    assert f'href="{revise}"' in body

    screen = client.get(revise).content.decode()
    assert "Ann one&#x27;s careful answer." in screen  # the returned work, not a new task
    response = client.post(revise, {"text": "Now with an example: leaves."})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.state, mine.version) == ("submitted", 2)
    assert list(mine.versions.values_list("number", "result")) == [
        (1, {"text": "Ann one's careful answer."}),
        (2, {"text": "Now with an example: leaves."}),
    ]
    assert 'data-testid="returned-item"' not in client.get("/feedback/").content.decode()
    client.force_login(reviewer)  # the reviewer sees both versions
    body = client.get(f"/review/{mine.pk}/").content.decode()
    assert 'data-testid="version-1"' in body and 'data-testid="version-2"' in body
    assert "Now with an example: leaves." in body and "Add an example." in body


def test_exemplars_are_anonymised_and_only_where_the_project_allows(setup, reviewer):
    project = setup["project"]
    review_create(
        annotation=setup["mine"],
        reviewer=reviewer,
        scores=GOOD,
        verdict="accept",
        exemplary=True,
        exemplar_note="Cites the reference and answers every part.",
    )
    assert exemplars_for(project=project) == []
    project.show_exemplars = True
    project.save()
    (example,) = exemplars_for(project=project)
    assert example["note"] == "Cites the reference and answers every part."
    assert example["display"]["text"] == "Ann one's careful answer."
    assert not {"annotator", "annotator_id", "reviewer", "reviewer_id", "user"} & set(example)
    html = render_to_string("annotations/exemplars.html", {"exemplars": [example]})
    assert "Ann one&#x27;s careful answer." in html and "Cites the reference" in html
    assert "ann1" not in html and "rev1" not in html
    assert exemplars_for(project=project, exclude_task_id=setup["mine"].task_id) == []


# --- API ------------------------------------------------------------------------------


def test_api_lists_only_reviews_of_my_work(client, setup, annotator, other_annotator, reviewer):
    review_create(annotation=setup["mine"], reviewer=reviewer, scores=GOOD, verdict="accept", feedback="For ann1.")
    client.force_login(annotator)
    rows = client.get("/api/reviews/").json()["results"]
    assert [(r["annotation"], r["feedback"], r["scores"]) for r in rows] == [(setup["mine"].pk, "For ann1.", GOOD)]
    assert "reviewer" not in rows[0]
    client.force_login(other_annotator)
    assert client.get("/api/reviews/").json()["results"] == []


def test_api_create_review_permissions(client, setup, annotator, reviewer, project_admin, make_user):
    body = {"annotation": setup["mine"].pk, "scores": GOOD, "verdict": "accept"}
    client.force_login(annotator)
    assert client.post("/api/reviews/", body, content_type="application/json").status_code == 403
    client.force_login(reviewer)
    response = client.post("/api/reviews/", {**body, "scores": {"accuracy": 9}}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"]["scores.accuracy"] == ["Accuracy must be from 1 to 5, not 9."]
    response = client.post("/api/reviews/", body, content_type="application/json")
    assert response.status_code == 201 and response.json()["scores"] == GOOD
    client.force_login(project_admin)
    theirs = {**body, "annotation": setup["theirs"].pk, "verdict": "revise", "feedback": "More detail."}
    assert client.post("/api/reviews/", theirs, content_type="application/json").status_code == 201
    both = make_user("rev-ann", roles.REVIEWER)
    join(setup["project"], both, roles.REVIEWER, roles.ANNOTATOR)
    own = submitted(setup["project"], both)
    client.force_login(both)
    own_body = {**body, "annotation": own.pk}
    assert client.post("/api/reviews/", own_body, content_type="application/json").status_code == 403


def test_api_queue_is_for_reviewers_and_hides_own_work(
    client, setup, annotator, other_annotator, reviewer, project_admin
):
    for who in (annotator, other_annotator):
        client.force_login(who)
        assert client.get("/api/reviews/queue/").status_code == 403
    client.force_login(reviewer)
    ids = [row["id"] for row in client.get("/api/reviews/queue/").json()]
    assert ids == [setup["mine"].pk, setup["theirs"].pk]  # oldest submitted first
    client.force_login(project_admin)
    assert len(client.get("/api/reviews/queue/?project=" + str(setup["project"].pk)).json()) == 2
    assert client.get("/api/reviews/queue/?kind=poetry").status_code == 400


def test_work_screen_shows_anonymised_exemplars_only_when_the_project_allows(client, setup, other_annotator, reviewer):
    project, mine = setup["project"], setup["mine"]
    review_create(
        annotation=mine,
        reviewer=reviewer,
        scores=GOOD,
        verdict="accept",
        exemplary=True,
        exemplar_note="Answers every part, in order.",
    )
    project.tasks.filter(pk__in=[mine.task_id, setup["theirs"].task_id]).update(is_full=True)
    client.force_login(other_annotator)
    screen = client.get(f"/work/{project.pk}/").content.decode()
    assert 'data-testid="exemplars"' not in screen
    project.show_exemplars = True
    project.save()
    screen = client.get(f"/work/{project.pk}/").content.decode()
    assert 'data-testid="exemplars"' in screen
    assert "Answers every part, in order." in screen and "Ann one&#x27;s careful answer." in screen
    assert "ann1" not in screen and "rev1" not in screen


def test_adjudication_screen_records_the_decision_and_lists_it_in_the_log(
    client, make_project, annotator, other_annotator, reviewer
):
    from annotations.models import Adjudication, Project

    project = make_project(Project.Kind.CLASSIFY, members=[annotator, other_annotator, reviewer], tasks=1)
    task = project.tasks.get()
    a = submitted(project, annotator, task=task, result={"label": "positive"})
    b = submitted(project, other_annotator, task=task, result={"label": "neutral"})
    client.force_login(annotator)
    assert client.post(f"/adjudicate/{task.pk}/", {"label": "positive", "reasoning": "x"}).status_code == 403
    client.force_login(reviewer)
    listing = client.get(f"/adjudicate/?project={project.pk}").content.decode()
    assert 'data-testid="disagreement"' in listing and "neutral, positive" in listing
    page = client.get(f"/adjudicate/{task.pk}/?source=annotators").content.decode()
    assert page.count('data-testid="adjudicate-version"') == 2
    response = client.post(
        f"/adjudicate/{task.pk}/", {"source": "annotators", "considered": [a.pk, b.pk], "label": "neutral"}
    )
    assert response.status_code == 422 and "reasoning" in response.content.decode()
    response = client.post(
        f"/adjudicate/{task.pk}/",
        {"source": "annotators", "considered": [a.pk, b.pk], "label": "neutral", "reasoning": "States facts only."},
    )
    assert response.status_code == 302
    logged = Adjudication.objects.get()
    assert (logged.final_result["label"], logged.adjudicator, logged.reasoning) == (
        "neutral",
        reviewer,
        "States facts only.",
    )
    listing = client.get(f"/adjudicate/?project={project.pk}").content.decode()
    assert 'data-testid="disagreement"' not in listing
    assert listing.count('data-testid="log-row"') == 1 and "States facts only." in listing


def test_review_page_shows_flags_with_their_evidence_and_the_replay(client, setup, reviewer, hook_override):
    from annotations import hooks

    evidence = {
        "signals": {"pasted_fraction": 0.92},
        "undefined": {"inter_key_median_ms": "fewer than 2 key events"},
        "flags": [
            {
                "flag": "paste_dominant",
                "label": "Paste-dominant",
                "values": {"pasted_fraction": 0.92},
                "threshold": {"pasted_fraction": 0.5},
                "explanation": "92% of the text arrived by paste.",
            }
        ],
        "replay": [
            {
                "seq": 3,
                "t": 2000,
                "field": "text",
                "why": "pause",
                "text": "Plants",
                "diff": [{"op": "insert", "text": "Plants"}],
            },
            {
                "seq": 9,
                "t": 9000,
                "field": "text",
                "why": "submit",
                "text": "Plants grow",
                "diff": [{"op": "equal", "text": "Plants"}, {"op": "insert", "text": " grow"}],
            },
        ],
        "event_count": 12,
    }
    hook_override(hooks.REVIEW_EVIDENCE, lambda *, annotation: evidence)
    client.force_login(reviewer)
    body = client.get(f"/review/{setup['mine'].pk}/").content.decode()
    assert "Paste-dominant" in body and "92% of the text arrived by paste." in body
    assert "pasted_fraction = 0.92" in body and "thresholds: pasted_fraction = 0.5" in body
    assert "undefined: fewer than 2 key events" in body
    assert body.count("data-replay-step=") == 2
    assert 'max="1" value="1"' in body  # the scrubber starts at the last snapshot
    assert "Plants<ins> grow</ins>" in body

    hook_override(hooks.REVIEW_EVIDENCE, lambda *, annotation: None)
    body = client.get(f"/review/{setup['mine'].pk}/").content.decode()
    assert 'data-testid="no-evidence"' in body and 'data-testid="flag"' not in body

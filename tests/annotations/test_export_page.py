"""The export page of a project (/projects/<id>/exports/): its admins make exports with the API's filters,
see what past exports held and left out, and report outcomes; everyone else gets a 404."""

import pytest
from django.urls import reverse

from annotations import roles
from annotations.models import Export, OutcomeReport, Project
from annotations.services.review import review_create
from tests.annotations.review_helpers import GOOD, rubric_add, submitted
from tests.conftest import join


@pytest.fixture
def made(make_project, annotator, other_annotator, reviewer, project_admin):
    """A write project with its admin and three submitted annotations: one accepted (score 4.0), one
    rejected, one unreviewed."""
    project = make_project(members=[annotator, other_annotator, reviewer, project_admin], tasks=3, double_review_rate=0)
    rubric_add(project)
    accepted = submitted(project, annotator)
    review_create(annotation=accepted, reviewer=reviewer, scores=GOOD, verdict="accept")
    rejected = submitted(project, other_annotator)
    review_create(annotation=rejected, reviewer=reviewer, scores=GOOD, verdict="reject", feedback="Off topic.")
    submitted(project, annotator)
    return project


def page_url(project) -> str:
    return reverse("annotations:project_exports", args=[project.pk])


def test_admin_makes_an_export_with_a_filter_and_sees_it_listed_with_what_it_left_out(client, made, project_admin):
    client.force_login(project_admin)
    response = client.post(page_url(made), {"action": "export", "format": "csv", "min_score": "3.5"})
    export = Export.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{page_url(made)}?made={export.uid}#export-{export.uid}"
    assert export.format == "csv" and export.created_by == project_admin
    assert export.filters["min_score"] == 3.5 and export.annotation_count == 1
    assert export.left_out == {"rejected": 1, "unscored": 1}

    body = client.get(response["Location"]).content.decode()
    row = body.split(f'data-testid="export-{export.uid}"')[1].split("</article>")[0]
    assert "1 annotation</strong>" in row
    assert "rejected left out; score ≥ 3.5" in row
    assert "Left out: 1 rejected in review, 1 no review score." in row
    download = reverse("api-export-download", kwargs={"uid": export.uid})
    assert f'href="{download}" data-testid="download" data-download-now' in row
    # The download route serves it to the admin.
    assert client.get(download).status_code == 200


@pytest.mark.parametrize("who", ["annotator", "reviewer", "other_admin", "anonymous"])
def test_anyone_but_the_projects_admins_gets_a_404(client, made, who, make_user, make_project, annotator, reviewer):
    if who == "other_admin":
        other = make_user("admin2", roles.PROJECT_ADMIN)
        make_project(members=[other], tasks=0, slug="other-team")
        client.force_login(other)
    elif who != "anonymous":
        client.force_login(annotator if who == "annotator" else reviewer)
    for response in (
        client.get(page_url(made)),
        client.post(page_url(made), {"action": "export", "format": "jsonl"}),
    ):
        if who == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        else:
            assert response.status_code == 404
    assert not Export.objects.exists()


def test_a_bad_minimum_score_is_shown_beside_its_field_and_everything_typed_stays(client, made, project_admin):
    client.force_login(project_admin)
    response = client.post(
        page_url(made),
        {"action": "export", "format": "csv", "min_score": "lots", "accepted_only": "true", "exclude_flagged": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 400 and not Export.objects.exists()
    error = body.split('data-testid="error-min_score">')[1].split("</div>")[0]
    assert "min_score must be a number" in error and "lots" in error
    assert 'name="min_score" value="lots"' in body
    assert 'name="accepted_only" value="true" checked' in body and 'name="exclude_flagged" value="true" checked' in body
    assert '<option value="csv" selected>' in body


def test_trl_is_offered_only_where_the_kind_allows_it(client, made, project_admin, make_project):
    client.force_login(project_admin)
    assert '<option value="trl"' not in client.get(page_url(made)).content.decode()
    compare = make_project(Project.Kind.COMPARE, members=[project_admin], tasks=0)
    assert '<option value="trl"' in client.get(page_url(compare)).content.decode()
    response = client.post(page_url(made), {"action": "export", "format": "trl"})
    assert response.status_code == 400 and "TRL preference pairs need a compare project" in response.content.decode()


def test_excluding_a_guideline_version_from_the_page(client, made, project_admin):
    client.force_login(project_admin)
    client.post(page_url(made), {"action": "export", "format": "jsonl", "exclude_guideline_versions": ["1"]})
    export = Export.objects.get()
    assert export.filters["exclude_guideline_versions"] == [1] and export.annotation_count == 0
    body = client.get(page_url(made)).content.decode()
    assert "without guideline v1" in body and "2 excluded guideline version" in body


def test_admin_reports_an_outcome_and_sees_it_under_its_export(client, made, project_admin):
    client.force_login(project_admin)
    client.post(page_url(made), {"action": "export", "format": "jsonl"})
    export = Export.objects.get()
    refused = client.post(
        page_url(made), {"action": "outcome", "export": str(export.uid), "metric": "rm_accuracy", "value": "high"}
    )
    body = refused.content.decode()
    assert refused.status_code == 400 and not OutcomeReport.objects.exists()
    assert "value must be a number" in body.split('data-testid="outcome-error-value">')[1].split("</div>")[0]
    assert 'value="rm_accuracy"' in body and 'value="high"' in body

    response = client.post(
        page_url(made),
        {"action": "outcome", "export": str(export.uid), "metric": "rm_accuracy", "value": "0.81", "baseline": "0.77"},
    )
    assert response.status_code == 302
    outcome = OutcomeReport.objects.get()
    assert (outcome.export, outcome.value, outcome.baseline, outcome.reported_by) == (export, 0.81, 0.77, project_admin)
    body = client.get(page_url(made)).content.decode()
    table = body.split('data-testid="outcomes"')[1].split("</table>")[0]
    assert "<td>rm_accuracy</td><td>0.81</td><td>0.77</td>" in table


def test_an_outcome_against_another_projects_export_is_a_404(client, made, project_admin, make_project):
    other = make_project(tasks=0, slug="elsewhere")
    export = Export.objects.create(project=other, format="jsonl")
    client.force_login(project_admin)
    for uid in (str(export.uid), "not-a-uid"):
        response = client.post(page_url(made), {"action": "outcome", "export": uid, "metric": "m", "value": "1"})
        assert response.status_code == 404
    assert not OutcomeReport.objects.exists()


def test_the_projects_admin_page_links_to_its_exports(client, made, project_admin):
    join(made, project_admin)
    client.force_login(project_admin)
    body = client.get(reverse("admin:annotations_project_change", args=[made.pk])).content.decode()
    assert f'href="{page_url(made)}">Exports</a>' in body


def test_a_failed_export_says_why_on_the_page(client, made, project_admin):
    Export.objects.create(
        project=made,
        format="csv",
        state=Export.State.FAILED,
        failure="annotation 7, column text: a lone surrogate cannot be written to CSV",
    )
    client.force_login(project_admin)
    body = client.get(page_url(made)).content.decode()
    failed = body.split('data-testid="export-failed">')[1].split("</span>")[0]
    assert failed == "download failed: annotation 7, column text: a lone surrogate cannot be written to CSV"

"""The export routes: creating an export is a POST, a made export is downloaded with a GET, outcomes are
reported against it; all of it for the project's admins only."""

import json

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotations import roles
from annotations.models import Annotation, Export, ExportItem, Membership, OutcomeReport
from annotations.services.review import review_create
from annotations.services.work import annotation_submit
from tests.annotations.review_helpers import GOOD, rubric_add, submitted

COMPARE = {
    "dimensions": {"accuracy": {"choice": "a", "strength": 2}, "helpfulness": {"choice": "a", "strength": 1}},
    "overall": {"choice": "a", "strength": 2},
    "rationale": "A is right.",
}


@pytest.fixture
def api():
    return APIClient()


def _as(api: APIClient, user) -> APIClient:
    api.force_authenticate(user)
    return api


def _admin(project, user):
    Membership.objects.get_or_create(project=project, user=user, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def made(make_project, make_user, annotator, other_annotator, project_admin, reviewer):
    """A write project with two submitted annotations (one rejected) and its admin."""
    project = make_project(members=[annotator, other_annotator, reviewer], tasks=2, double_review_rate=0.0)
    _admin(project, project_admin)
    rubric_add(project)
    kept = submitted(project, annotator)
    rejected = submitted(project, other_annotator)
    review_create(annotation=rejected, reviewer=reviewer, scores=GOOD, verdict="reject", feedback="Off topic.")
    return project, kept, rejected


def test_post_creates_the_export_and_answers_what_it_holds_and_what_it_left_out(api, made, project_admin):
    project, kept, _ = made
    response = _as(api, project_admin).post(
        f"/api/projects/{project.pk}/export/", {"format": "jsonl", "exclude_flagged": True}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    export = Export.objects.get()
    assert body["uid"] == str(export.uid) and export.created_by == project_admin
    assert body["annotation_count"] == 1 and body["format"] == "jsonl"
    assert body["left_out"] == {"rejected": 1}
    assert body["filters"]["exclude_flagged"] is True and body["filters"]["include_rejected"] is False
    assert body["state"] == "ready" and body["failure"] == ""
    assert body["download_url"].endswith(f"/api/exports/{export.uid}/download/")
    assert list(ExportItem.objects.filter(export=export).values_list("annotation_id", flat=True)) == [kept.pk]


def test_get_of_the_project_export_route_creates_nothing_and_lists_the_made_exports(api, made, project_admin):
    project, _, _ = made
    client = _as(api, project_admin)
    assert client.get(f"/api/projects/{project.pk}/export/?format=jsonl").json() == []
    assert not Export.objects.exists()
    uid = client.post(f"/api/projects/{project.pk}/export/", {"format": "csv"}, format="json").json()["uid"]
    listed = client.get(f"/api/projects/{project.pk}/export/").json()
    assert [(e["uid"], e["format"], e["annotation_count"]) for e in listed] == [(uid, "csv", 1)]
    assert Export.objects.count() == 1


def test_download_streams_exactly_the_versions_the_export_recorded(api, made, project_admin):
    project, kept, _ = made
    client = _as(api, project_admin)
    uid = client.post(f"/api/projects/{project.pk}/export/", {}, format="json").json()["uid"]
    Annotation.objects.filter(pk=kept.pk).update(state=Annotation.State.RETURNED)
    kept.refresh_from_db()
    annotation_submit(annotation=kept, result={"text": "Rewritten after the export."})

    response = client.get(f"/api/exports/{uid}/download/")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("application/x-ndjson")
    assert f"{uid}.jsonl" in response["Content-Disposition"]
    [row] = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert (row["annotation_id"], row["version"], row["result"]) == (kept.pk, 1, {"text": "An answer by ann1."})
    assert row["review_status"] == "unreviewed"
    again = client.get(f"/api/exports/{uid}/download/")
    assert b"".join(again.streaming_content).decode().count("\n") == 1
    assert Export.objects.count() == 1  # downloading creates nothing


def test_csv_download_has_the_csv_media_type_and_a_header(api, made, project_admin):
    project, _, _ = made
    client = _as(api, project_admin)
    uid = client.post(f"/api/projects/{project.pk}/export/", {"format": "csv"}, format="json").json()["uid"]
    response = client.get(f"/api/exports/{uid}/download/")
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("annotation_id,task_id,task_external_id,annotator_id") and len(lines) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"format": "xml"}, "format"),
        ({"format": "trl"}, "format"),
        ({"format": 0}, "format"),
        ({"format": ["csv"]}, "format"),
        ({"min_score": "lots"}, "min_score"),
        ({"accepted_only": "perhaps"}, "accepted_only"),
        ({"exclude_guideline_versions": [99]}, "exclude_guideline_versions"),
        ({"shape": "round"}, "filters"),
    ],
)
def test_a_bad_export_request_is_a_400_naming_the_field(api, made, project_admin, body, field):
    project, _, _ = made
    response = _as(api, project_admin).post(f"/api/projects/{project.pk}/export/", body, format="json")
    assert response.status_code == 400
    answer = response.json()
    assert list(answer["errors"]) == [field] and answer["detail"]
    assert not Export.objects.exists()


def test_filters_may_come_from_a_form_post(api, made, project_admin):
    project, _, _ = made
    form = {"format": "csv", "include_rejected": "true", "exclude_guideline_versions": ["1"]}
    response = _as(api, project_admin).post(f"/api/projects/{project.pk}/export/", form)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["filters"]["include_rejected"] is True and body["filters"]["exclude_guideline_versions"] == [1]
    assert body["annotation_count"] == 0 and body["left_out"] == {"guideline_version": 2}


def test_a_body_that_is_not_an_object_is_a_400(api, made, project_admin):
    project, _, _ = made
    response = _as(api, project_admin).post(f"/api/projects/{project.pk}/export/", [1, 2], format="json")
    assert response.status_code == 400 and "object" in response.json()["detail"]
    assert not Export.objects.exists()


def test_admins_of_another_project_and_non_admins_get_404_on_every_export_route(
    api, made, make_project, make_user, annotator, reviewer
):
    project, _, _ = made
    elsewhere = make_project(tasks=0, slug="elsewhere")
    stranger = _admin(elsewhere, make_user("stranger", roles.PROJECT_ADMIN))
    export = Export.objects.create(project=project, format="jsonl")
    for user in (stranger, annotator, reviewer):
        client = _as(APIClient(), user)
        assert client.post(f"/api/projects/{project.pk}/export/", {}, format="json").status_code == 404
        assert client.get(f"/api/projects/{project.pk}/export/").status_code == 404
        assert client.get(f"/api/exports/{export.uid}/").status_code == 404
        assert client.get(f"/api/exports/{export.uid}/download/").status_code == 404
        assert client.get(f"/api/exports/{export.uid}/outcomes/").status_code == 404
        assert client.post(f"/api/exports/{export.uid}/outcomes/", {"metric": "m", "value": 1}).status_code == 404
    assert Export.objects.count() == 1 and not OutcomeReport.objects.exists()
    assert APIClient().post(f"/api/projects/{project.pk}/export/", {}, format="json").status_code in (401, 403)


def test_outcomes_are_reported_against_an_export_and_listed(api, make_project, annotator, project_admin):
    project = make_project("compare", members=[annotator], tasks=1)
    _admin(project, project_admin)
    submitted(project, annotator, result=COMPARE)
    client = _as(api, project_admin)
    uid = client.post(f"/api/projects/{project.pk}/export/", {"format": "trl"}, format="json").json()["uid"]
    url = f"/api/exports/{uid}/outcomes/"
    created = client.post(
        url, {"metric": "rm_accuracy", "value": 0.71, "baseline": 0.64, "notes": "held-out"}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["metric"] == "rm_accuracy" and created.json()["reported_by"] == project_admin.pk
    bad = client.post(url, {"metric": " ", "value": "good", "baseline": "nan"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["errors"] == {
        "metric": ["metric is required (e.g. 'reward_model_accuracy')."],
        "value": ["value must be a number, not 'good'."],
        "baseline": ["baseline must be a finite number."],
    }
    listed = client.get(url).json()
    assert [(o["metric"], o["value"], o["baseline"]) for o in listed] == [("rm_accuracy", 0.71, 0.64)]
    detail = client.get(f"/api/exports/{uid}/").json()
    assert detail["annotation_count"] == 1 and detail["format"] == "trl" and detail["state"] == "ready"
    assert [o["metric"] for o in detail["outcomes"]] == ["rm_accuracy"]
    assert client.get("/api/exports/00000000-0000-0000-0000-000000000000/outcomes/").status_code == 404


def test_download_streams_through_the_real_asgi_server(daphne_server, make_project, annotator, project_admin):
    import httpx

    project = make_project(members=[annotator], tasks=3)
    _admin(project, project_admin)
    for i in range(3):
        submitted(project, annotator, result={"text": f"Answer {i}."})
    headers = {"Authorization": f"Token {Token.objects.create(user=project_admin).key}"}
    with httpx.Client(base_url=daphne_server.url, headers=headers, timeout=30) as client:
        made = client.post(f"/api/projects/{project.pk}/export/", json={"format": "jsonl"})
        assert made.status_code == 201
        uid = made.json()["uid"]
        with client.stream("GET", f"/api/exports/{uid}/download/") as response:
            assert response.status_code == 200
            assert response.headers.get("transfer-encoding") == "chunked"
            rows = [json.loads(line) for line in response.iter_lines() if line]
    assert sorted(r["result"]["text"] for r in rows) == ["Answer 0.", "Answer 1.", "Answer 2."]
    assert Export.objects.count() == 1

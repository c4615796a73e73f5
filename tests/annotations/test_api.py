"""REST for the loop, import, export and outcomes: who may do what, and what they get back."""

import datetime as dt
import json

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotations import roles
from annotations.models import Annotation, Assignment, Export, ExportItem, OutcomeReport, Task


@pytest.fixture
def api():
    return APIClient()


def _as(api: APIClient, user) -> APIClient:
    api.force_authenticate(user)
    return api


# --- next ------------------------------------------------------------------------------------


def test_next_gives_the_routed_task_with_what_the_annotator_needs(api, annotator, make_project):
    project = make_project(members=[annotator], tasks=2)
    response = _as(api, annotator).get(f"/api/projects/{project.pk}/next/")
    assert response.status_code == 200
    body = response.json()
    task = Task.objects.get(pk=body["task_id"])
    assignment = Assignment.objects.get(pk=body["assignment_id"])
    assert assignment.annotator == annotator and assignment.task == task
    assert body["payload"] == task.payload
    assert body["references"] == [{"id": "r1", "title": "Reference one", "body": "Body of reference one."}]
    assert body["guideline_version"] == 1
    assert body["expires_at"] == assignment.expires_at.isoformat().replace("+00:00", "Z")
    assert "not done by you before" in body["routed_because"]
    assert Annotation.objects.get(pk=body["annotation_id"]).state == Annotation.State.DRAFT
    # Asking again resumes the same claim.
    assert api.get(f"/api/projects/{project.pk}/next/").json()["assignment_id"] == body["assignment_id"]


def test_next_answers_204_when_nothing_is_left(api, annotator, make_project):
    project = make_project(members=[annotator], tasks=0)
    assert _as(api, annotator).get(f"/api/projects/{project.pk}/next/").status_code == 204


def test_next_refuses_non_members_and_non_annotators(api, annotator, reviewer, project_admin, make_project):
    project = make_project(members=[reviewer], tasks=1)
    assert _as(api, annotator).get(f"/api/projects/{project.pk}/next/").status_code == 404
    assert _as(api, project_admin).get(f"/api/projects/{project.pk}/next/").status_code == 404
    response = _as(api, reviewer).get(f"/api/projects/{project.pk}/next/")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only the project's annotators receive tasks."
    assert APIClient().get(f"/api/projects/{project.pk}/next/").status_code in (401, 403)
    assert not Assignment.objects.exists()


def test_token_authentication_drives_the_loop(annotator, make_project):
    project = make_project(members=[annotator], tasks=1)
    token = Token.objects.create(user=annotator)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    task_id = client.get(f"/api/projects/{project.pk}/next/").json()["task_id"]
    response = client.post(f"/api/tasks/{task_id}/annotations/", {"result": {"text": "Done."}}, format="json")
    assert response.status_code == 201
    assert client.get(f"/api/projects/{project.pk}/next/").status_code == 204
    client.credentials(HTTP_AUTHORIZATION="Token wrong")
    refused = client.get(f"/api/projects/{project.pk}/next/")
    assert refused.status_code in (401, 403)  # 403: session authentication is listed first
    assert refused.json()["detail"] == "Invalid token."


# --- submit and draft --------------------------------------------------------------------------


def _claim(api, user, project) -> dict:
    return _as(api, user).get(f"/api/projects/{project.pk}/next/").json()


def test_submit_stores_the_validated_result(api, annotator, make_project):
    project = make_project("classify", members=[annotator], tasks=1)
    claim = _claim(api, annotator, project)
    response = api.post(
        f"/api/tasks/{claim['task_id']}/annotations/",
        {"result": {"label": "positive", "text": "  upbeat  "}, "active_seconds": 12.5},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["state"] == "submitted" and response.json()["version"] == 1
    annotation = Annotation.objects.get(pk=claim["annotation_id"])
    assert annotation.result == {"label": "positive", "text": "upbeat"}
    assert annotation.active_seconds == 12.5
    assert Assignment.objects.get(pk=claim["assignment_id"]).state == Assignment.State.SUBMITTED
    again = api.post(f"/api/tasks/{claim['task_id']}/annotations/", {"result": {"label": "negative"}}, format="json")
    assert again.status_code == 409
    assert "submitted" in again.json()["detail"]


def test_an_invalid_result_is_refused_naming_each_field(api, annotator, make_project):
    project = make_project("compare", members=[annotator], tasks=1)
    claim = _claim(api, annotator, project)
    response = api.post(
        f"/api/tasks/{claim['task_id']}/annotations/",
        {"result": {"dimensions": {"accuracy": {"choice": "c"}}, "overall": {"choice": "a", "strength": 9}}},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["dimensions.accuracy"] == ["Choose A, B or tie (got 'c')."]
    assert errors["dimensions.helpfulness"] == ["Choose A, B or tie."]
    assert errors["overall"] == ["Say how much better: 1 slightly, 2 clearly, 3 much."]
    assert errors["rationale"] == ["Rationale is required."]
    assert Annotation.objects.get(pk=claim["annotation_id"]).state == Annotation.State.DRAFT


def test_the_request_body_is_checked_field_by_field(api, annotator, make_project):
    project = make_project(members=[annotator], tasks=1)
    claim = _claim(api, annotator, project)
    response = api.post(
        f"/api/tasks/{claim['task_id']}/annotations/", {"active_seconds": -3, "final_seq": "x"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) == {"result", "active_seconds", "final_seq"}


def test_nobody_submits_on_another_annotators_task(api, annotator, other_annotator, make_project):
    project = make_project(members=[annotator, other_annotator], tasks=1, overlap=1)
    claim = _claim(api, annotator, project)
    response = _as(api, other_annotator).post(
        f"/api/tasks/{claim['task_id']}/annotations/", {"result": {"text": "Mine now"}}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["detail"] == "You have no assignment for this task."
    assert Annotation.objects.get(pk=claim["annotation_id"]).result == {}


def test_an_expired_claim_cannot_be_submitted_and_its_slot_returns(api, annotator, make_project):
    project = make_project(members=[annotator], tasks=1, overlap=1)
    claim = _claim(api, annotator, project)
    Assignment.objects.filter(pk=claim["assignment_id"]).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = api.post(f"/api/tasks/{claim['task_id']}/annotations/", {"result": {"text": "Late"}}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"].startswith("Your assignment for this task is expired")
    task = Task.objects.get(pk=claim["task_id"])
    assert (task.slots_taken, task.is_full) == (0, False)


def test_a_draft_keeps_invalid_text_and_comes_back_with_next(api, annotator, make_project):
    project = make_project("classify", members=[annotator], tasks=1)
    claim = _claim(api, annotator, project)
    draft = {"label": "not-a-label", "text": "half a thought"}
    response = api.put(f"/api/tasks/{claim['task_id']}/annotations/draft/", {"result": draft}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "draft"
    assert api.get(f"/api/projects/{project.pk}/next/").json()["draft"] == draft


# --- import --------------------------------------------------------------------------------------


def test_project_admin_imports_a_json_list_with_errors_by_item(api, project_admin, make_project):
    project = make_project(tasks=0, members=[project_admin])
    rows = [{"prompt": "One", "external_id": "1"}, {"prompt": ""}, {"prompt": "Three", "difficulty": "hard"}]
    response = _as(api, project_admin).post(f"/api/projects/{project.pk}/tasks/", rows, format="json")
    assert response.status_code == 201
    assert response.json() == {
        "created": 1,
        "skipped": 0,
        "errors": [
            {"item": 2, "reason": "prompt is empty"},
            {"item": 3, "reason": "difficulty must be a whole number, not 'hard'"},
        ],
    }
    again = api.post(f"/api/projects/{project.pk}/tasks/", rows[:1], format="json")
    assert again.status_code == 200 and again.json()["skipped"] == 1
    assert api.post(f"/api/projects/{project.pk}/tasks/", {"prompt": "x"}, format="json").status_code == 400
    assert api.post("/api/projects/999999/tasks/", rows, format="json").status_code == 404


@pytest.mark.parametrize("who", ["annotator", "reviewer"])
def test_only_project_admins_import(api, request, who, make_project):
    user = request.getfixturevalue(who)
    project = make_project(members=[user], tasks=0)
    response = _as(api, user).post(f"/api/projects/{project.pk}/tasks/", [{"prompt": "x"}], format="json")
    assert response.status_code == 403
    assert not Task.objects.filter(project=project).exists()


# --- export and outcomes -----------------------------------------------------------------------


def _submitted_project(api, users, make_project, kind="write"):
    project = make_project(kind, members=users, tasks=2, overlap=len(users))
    result = {
        "write": {"text": "An answer."},
        "compare": {
            "dimensions": {"accuracy": {"choice": "a", "strength": 2}, "helpfulness": {"choice": "a", "strength": 1}},
            "overall": {"choice": "a", "strength": 2},
            "rationale": "A is right.",
        },
    }[kind]
    for user in users:
        claim = _claim(api, user, project)
        api.post(f"/api/tasks/{claim['task_id']}/annotations/", {"result": result}, format="json")
    return project


def test_project_admin_streams_the_jsonl_export_and_it_is_recorded(
    api, annotator, other_annotator, project_admin, make_project
):
    project = _submitted_project(api, [annotator, other_annotator], make_project)
    response = _as(api, project_admin).get(f"/api/projects/{project.pk}/export/?format=jsonl")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert sorted(r["annotator_id"] for r in rows) == sorted([annotator.pk, other_annotator.pk])
    export = Export.objects.get(uid=response["X-Export-Uid"])
    assert export.annotation_count == 2 and export.created_by == project_admin
    assert set(ExportItem.objects.filter(export=export).values_list("annotation_id", flat=True)) == {
        r["annotation_id"] for r in rows
    }
    csv_response = api.get(f"/api/projects/{project.pk}/export/?format=csv")
    lines = b"".join(csv_response.streaming_content).decode().splitlines()
    assert lines[0].startswith("annotation_id,task_id,task_external_id,annotator_id")
    assert len(lines) == 3


def test_export_refuses_an_unknown_format_and_trl_for_a_write_project(api, project_admin, make_project):
    project = make_project(tasks=0, slug="essays")
    response = _as(api, project_admin).get(f"/api/projects/{project.pk}/export/?format=xml")
    assert response.status_code == 400
    assert response.json()["detail"] == "Unknown format 'xml'; use one of jsonl, csv, trl."
    response = api.get(f"/api/projects/{project.pk}/export/?format=trl")
    assert response.status_code == 400
    assert "compare project; essays is a write project" in response.json()["detail"]
    assert not Export.objects.exists()


@pytest.mark.parametrize("who", ["annotator", "reviewer"])
def test_only_project_admins_export(api, request, who, make_project):
    user = request.getfixturevalue(who)
    project = make_project(members=[user], tasks=1)
    assert _as(api, user).get(f"/api/projects/{project.pk}/export/").status_code == 403
    assert not Export.objects.exists()


def test_outcomes_are_reported_against_an_export_and_listed(api, annotator, project_admin, make_project):
    project = _submitted_project(api, [annotator], make_project, kind="compare")
    response = _as(api, project_admin).get(f"/api/projects/{project.pk}/export/?format=trl")
    uid = response["X-Export-Uid"]
    b"".join(response.streaming_content)
    url = f"/api/exports/{uid}/outcomes/"
    created = api.post(
        url, {"metric": "rm_accuracy", "value": 0.71, "baseline": 0.64, "notes": "held-out"}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["metric"] == "rm_accuracy" and created.json()["reported_by"] == project_admin.pk
    bad = api.post(url, {"metric": " ", "value": "good", "baseline": "nan"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["errors"] == {
        "metric": ["metric is required (e.g. 'reward_model_accuracy')."],
        "value": ["value must be a number, not 'good'."],
        "baseline": ["baseline must be a finite number."],
    }
    listed = api.get(url).json()
    assert [(o["metric"], o["value"], o["baseline"]) for o in listed] == [("rm_accuracy", 0.71, 0.64)]
    detail = api.get(f"/api/exports/{uid}/").json()
    assert detail["annotation_count"] == 1 and detail["format"] == "trl"
    assert api.get("/api/exports/00000000-0000-0000-0000-000000000000/outcomes/").status_code == 404


@pytest.mark.parametrize("who", ["annotator", "reviewer"])
def test_only_project_admins_see_or_report_outcomes(api, request, who, project_admin, make_project):
    user = request.getfixturevalue(who)
    project = make_project(members=[user], tasks=0)
    export = Export.objects.create(project=project, format="jsonl", created_by=project_admin)
    client = _as(api, user)
    assert client.get(f"/api/exports/{export.uid}/outcomes/").status_code == 403
    assert client.post(f"/api/exports/{export.uid}/outcomes/", {"metric": "m", "value": 1}).status_code == 403
    assert client.get(f"/api/exports/{export.uid}/").status_code == 403
    assert not OutcomeReport.objects.exists()


def test_roles_come_from_memberships_not_from_the_user(annotator, reviewer, project_admin, make_project):
    assert not any(roles.is_annotator(u) or roles.is_reviewer(u) for u in (annotator, reviewer, project_admin))
    make_project(members=[annotator, reviewer, project_admin])
    for user in (annotator, reviewer, project_admin):
        user.__dict__.pop("_membership_pairs", None)
    assert roles.is_annotator(annotator) and not roles.is_annotator(reviewer)
    assert roles.is_project_admin(project_admin) and not roles.is_project_admin(reviewer)


def test_export_streams_through_the_real_asgi_server(daphne_server, annotator, project_admin, make_project):
    """Under daphne the export is served piece by piece from the request's sync thread."""
    import httpx

    from annotations.services.routing import assignment_next
    from annotations.services.work import annotation_start, annotation_submit

    project = make_project(members=[annotator], tasks=3)
    for i in range(3):
        annotation = annotation_start(assignment=assignment_next(project=project, user=annotator))
        annotation_submit(annotation=annotation, result={"text": f"Answer {i}."})
    token = Token.objects.create(user=project_admin)
    lines = []
    with httpx.stream(
        "GET",
        f"{daphne_server.url}/api/projects/{project.pk}/export/?format=jsonl",
        headers={"Authorization": f"Token {token.key}"},
        timeout=30,
    ) as response:
        assert response.status_code == 200
        uid = response.headers["X-Export-Uid"]
        lines = [json.loads(line) for line in response.iter_lines() if line]
    assert sorted(r["result"]["text"] for r in lines) == ["Answer 0.", "Answer 1.", "Answer 2."]
    assert ExportItem.objects.filter(export__uid=uid).count() == 3

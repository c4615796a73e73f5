"""REST for the loop, import, export and outcomes: who may do what, and what they get back."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotations import roles
from annotations.models import Annotation, Assignment, Task


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


# The export and outcome routes are tested in tests/annotations/test_export_api.py.


def test_roles_come_from_memberships_not_from_the_user(annotator, reviewer, project_admin, make_project):
    assert not any(roles.is_annotator(u) or roles.is_reviewer(u) for u in (annotator, reviewer, project_admin))
    make_project(members=[annotator, reviewer, project_admin])
    for user in (annotator, reviewer, project_admin):
        user.__dict__.pop("_membership_pairs", None)
    assert roles.is_annotator(annotator) and not roles.is_annotator(reviewer)
    assert roles.is_project_admin(project_admin) and not roles.is_project_admin(reviewer)

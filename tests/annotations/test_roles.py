"""Roles per project: two teams share one installation without seeing each other's tasks, people,
exports or figures; project admins manage projects and memberships, never users, privileges or
tokens; someone removed from a project can no longer write into it, on the screen or the API."""

import json

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotations import access, roles
from annotations.models import Annotation, Membership, Project, Task
from tests.conftest import PASSWORD


@pytest.fixture
def teams(make_user, make_project):
    """Team A and team B, each with its own admin, reviewer and annotator, in one installation."""
    people = {}
    for team in ("a", "b"):
        people[team] = {
            "admin": make_user(f"admin-{team}", roles.PROJECT_ADMIN),
            "reviewer": make_user(f"rev-{team}", roles.REVIEWER),
            "annotator": make_user(f"ann-{team}"),
        }
        people[team]["project"] = make_project(
            slug=f"team-{team}", members=[people[team][r] for r in ("admin", "reviewer", "annotator")], tasks=2
        )
    return people


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_admin_of_one_project_reaches_nothing_of_another(client, teams):
    a, b = teams["a"], teams["b"]
    api = _api(b["admin"])
    assert [p["slug"] for p in api.get("/api/projects/").json()["results"]] == ["team-b"]
    assert api.get(f"/api/projects/{a['project'].pk}/").status_code == 404
    assert api.patch(f"/api/projects/{a['project'].pk}/", {"name": "Mine now"}, format="json").status_code == 404
    assert api.post(f"/api/projects/{a['project'].pk}/tasks/", [{"prompt": "x"}], format="json").status_code == 404
    assert api.post(f"/api/projects/{a['project'].pk}/export/", {"format": "jsonl"}, format="json").status_code in (
        404,
        405,
    )
    assert Task.objects.filter(project=a["project"]).count() == 2
    client.force_login(b["admin"])
    assert "Team-A" not in client.get(f"/review/calibration/?project={a['project'].pk}").content.decode()
    tasks = client.get("/admin/annotations/task/").content.decode()
    assert "Team-B" in tasks and "Team-A" not in tasks
    assert client.get(f"/admin/annotations/project/{a['project'].pk}/change/").status_code in (302, 403, 404)
    assert client.get(f"/admin/annotations/project/{a['project'].pk}/import/").status_code == 403


def test_a_reviewer_of_one_project_sees_no_work_of_another(client, teams):
    a, b = teams["a"], teams["b"]
    from tests.annotations.review_helpers import submitted

    work = submitted(a["project"], a["annotator"])
    client.force_login(b["reviewer"])
    assert f'data-annotation="{work.pk}"' not in client.get("/review/").content.decode()
    assert client.get(f"/review/{work.pk}/").status_code == 404
    assert client.get(f"/adjudicate/{work.task_id}/").status_code == 404
    assert _api(b["reviewer"]).get("/api/reviews/queue/").json() == []


def test_a_project_admin_manages_no_user_privileges_tokens_or_passwords(client, teams):
    admin = teams["a"]["admin"]
    root = get_user_model().objects.create_superuser("root", password="root-pass-123")
    Token.objects.create(user=root)
    client.force_login(admin)
    for url in (
        "/admin/auth/user/",
        f"/admin/auth/user/{admin.pk}/change/",
        f"/admin/auth/user/{root.pk}/password/",
        "/admin/auth/group/",
        "/admin/authtoken/tokenproxy/",
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(
        f"/admin/auth/user/{admin.pk}/change/", {"username": admin.username, "is_superuser": "on", "is_staff": "on"}
    )
    assert response.status_code == 403
    admin.refresh_from_db()
    assert not admin.is_superuser
    assert "authtoken" not in client.get("/admin/").content.decode()
    assert not admin.get_all_permissions()  # no group or model permission widens the project rule


def test_the_django_admin_lists_only_the_admins_own_projects(client, teams):
    client.force_login(teams["a"]["admin"])
    body = client.get("/admin/annotations/project/").content.decode()
    assert "Team-A" in body and "Team-B" not in body
    assert client.get(f"/admin/annotations/project/{teams['a']['project'].pk}/change/").status_code == 200


def test_a_removed_annotator_can_no_longer_write_through_the_api_or_the_screen(client, make_project, annotator):
    project = make_project(members=[annotator], tasks=2)
    api = _api(annotator)
    task_id = api.get(f"/api/projects/{project.pk}/next/").json()["task_id"]
    Membership.objects.filter(project=project, user=annotator).delete()
    access.forget(annotator)
    body = {"result": {"text": "Written after removal."}}
    assert api.put(f"/api/tasks/{task_id}/annotations/draft/", body, format="json").status_code == 404
    assert api.post(f"/api/tasks/{task_id}/annotations/", body, format="json").status_code == 404
    assert api.get(f"/api/projects/{project.pk}/next/").status_code == 404
    annotation = Annotation.objects.get(task_id=task_id, annotator=annotator)
    assert annotation.state == Annotation.State.DRAFT and annotation.result == {}
    client.force_login(annotator)
    assert client.get(f"/work/{project.pk}/").status_code == 404
    assert client.post(f"/work/{project.pk}/annotations/{annotation.pk}/", body["result"]).status_code == 404


# --- The project API ---------------------------------------------------------------------------


def test_a_project_admin_creates_a_project_with_its_people(teams):
    a = teams["a"]
    body = {
        "name": "Sentiment",
        "slug": "sentiment",
        "kind": "classify",
        "labels": ["positive", "negative"],
        "overlap": 3,
        "text_required": False,
        "gold_rate": 0.1,
        "validation_batch_size": 40,
        "iaa_threshold": 0.7,
        "members": ["ann-a", "ann-b"],
        "reviewers": ["rev-a"],
    }
    response = _api(a["admin"]).post("/api/projects/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["id"] and data["phase"] == "validation"
    assert (data["overlap"], data["gold_rate"], data["validation_batch_size"], data["iaa_threshold"]) == (
        3,
        0.1,
        40,
        0.7,
    )
    assert data["members"] == ["ann-a", "ann-b"] and data["reviewers"] == ["rev-a"] and data["admins"] == ["admin-a"]
    project = Project.objects.get(pk=data["id"])
    assert access.may(teams["b"]["annotator"], project, access.ANNOTATE)
    assert not access.may(teams["b"]["admin"], project, access.MANAGE)


def test_a_project_admin_changes_settings_and_people_of_their_project(teams):
    a = teams["a"]
    url = f"/api/projects/{a['project'].pk}/"
    body = {"overlap": 2, "iaa_threshold": 0.5, "members": ["ann-b"], "admins": ["admin-a", "rev-a"]}
    response = _api(a["admin"]).patch(url, body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["members"] == ["ann-b"] and response.json()["admins"] == ["admin-a", "rev-a"]
    a["project"].refresh_from_db()
    assert (a["project"].overlap, a["project"].iaa_threshold) == (2, 0.5)
    assert not Membership.objects.filter(project=a["project"], user=a["annotator"]).exists()
    assert Membership.objects.filter(project=a["project"], user=a["reviewer"], role="reviewer").exists()


@pytest.mark.parametrize("who", ["annotator", "reviewer"])
def test_annotators_and_reviewers_get_403_on_project_writes(teams, who):
    user = teams["a"][who]
    assert (
        _api(user).post("/api/projects/", {"name": "X", "slug": "x", "kind": "write"}, format="json").status_code == 403
    )
    response = _api(user).patch(f"/api/projects/{teams['a']['project'].pk}/", {"overlap": 5}, format="json")
    assert response.status_code == 403
    assert not Project.objects.filter(slug="x").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "C", "slug": "c", "kind": "classify", "labels": ["only"]}, "labels"),
        ({"name": "C", "slug": "c", "kind": "classify", "labels": ["a", "a"]}, "labels"),
        ({"name": "C", "slug": "c", "kind": "compare"}, "comparison_dimensions"),
        (
            {"name": "C", "slug": "c", "kind": "compare", "comparison_dimensions": [{"key": "Bad Key"}]},
            "comparison_dimensions",
        ),
        ({"name": "C", "slug": "c", "kind": "write", "overlap": 0}, "overlap"),
        ({"name": "C", "slug": "c", "kind": "write", "gold_rate": 2}, "gold_rate"),
        ({"name": "C", "slug": "c", "kind": "write", "members": ["nobody-here"]}, "members"),
        ({"name": "C", "slug": "c", "kind": "poetry"}, "kind"),
        ({"name": "C\ud800", "slug": "c", "kind": "write"}, "name"),
        ({"name": "C", "slug": "team-b", "kind": "write"}, "slug"),
    ],
)
def test_a_bad_project_is_refused_naming_the_field(teams, body, field):
    # json.dumps escapes a lone surrogate as "\ud800", as a hostile client would send it
    response = _api(teams["a"]["admin"]).post("/api/projects/", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    answer = response.json()
    assert field in answer.get("errors", {}) or f" {field} " in answer["detail"], answer
    assert not Project.objects.filter(slug="c").exists()


def test_the_kind_of_a_project_with_tasks_cannot_change(teams):
    response = _api(teams["a"]["admin"]).patch(
        f"/api/projects/{teams['a']['project'].pk}/", {"kind": "classify", "labels": ["x", "y"]}, format="json"
    )
    assert response.status_code == 400
    teams["a"]["project"].refresh_from_db()
    assert teams["a"]["project"].kind == "write"


def test_memberships_survive_the_move_from_global_groups(transactional_db):
    """Migration 0002 turns the old global role groups into memberships without losing one."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("annotations", "0001_initial")])
    old = executor.loader.project_state([("annotations", "0001_initial")]).apps
    Group, User, OldProject = (
        old.get_model("auth", "Group"),
        old.get_model("auth", "User"),
        old.get_model("annotations", "Project"),
    )
    groups = {name: Group.objects.create(name=name) for name in ("annotator", "reviewer", "project_admin")}
    ann, rev, boss, bare = (User.objects.create(username=n) for n in ("ann", "rev", "boss", "bare"))
    ann.groups.add(groups["annotator"])
    rev.groups.add(groups["reviewer"], groups["annotator"])
    boss.groups.add(groups["project_admin"])
    p1 = OldProject.objects.create(name="P1", slug="p1", kind="write")
    OldProject.objects.create(name="P2", slug="p2", kind="write")
    p1.members.add(ann, rev, bare)
    call_command("migrate", "annotations", verbosity=0)
    got = set(Membership.objects.values_list("project__slug", "user__username", "role"))
    assert got == {
        ("p1", "ann", "annotator"),
        ("p1", "rev", "reviewer"),
        ("p1", "rev", "annotator"),
        ("p1", "bare", "annotator"),  # a member with no role group worked as an annotator
        ("p1", "boss", "admin"),  # global admins saw every project
        ("p2", "boss", "admin"),
    }
    from django.contrib.auth.models import Group as NewGroup

    assert not NewGroup.objects.filter(name="project_admin").exists()  # its auth permissions are gone with it


# --- Login throttling ----------------------------------------------------------------------------


@pytest.mark.parametrize("login_url", ["/accounts/login/", "/admin/login/"])
def test_wrong_passwords_lock_the_account_out_even_for_the_right_one(client, make_user, login_url, settings):
    user = make_user("target", roles.PROJECT_ADMIN)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(login_url, {"username": "target", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    assert client.post(login_url, {"username": "target", "password": "wrong"}).status_code == 429
    response = client.post(login_url, {"username": "target", "password": PASSWORD})
    assert response.status_code == 429
    body = response.content.decode()
    assert "Too many failed logins" in body and "try again in" in body
    assert "_auth_user_id" not in client.session
    assert user.pk  # the account itself is untouched


def test_wrong_passwords_from_one_address_lock_that_address_out(client, make_user, settings):
    make_user("victim")
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": f"guess{i}", "password": "wrong"})
    assert client.post("/accounts/login/", {"username": "victim", "password": PASSWORD}).status_code == 429
    other = client.__class__(REMOTE_ADDR="10.9.8.7")
    assert other.post("/accounts/login/", {"username": "victim", "password": PASSWORD}).status_code == 302


def test_a_right_password_before_the_limit_logs_in_and_resets_the_count(client, make_user, settings):
    steady = make_user("steady")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/accounts/login/", {"username": "steady", "password": "wrong"})
    assert client.post("/accounts/login/", {"username": "steady", "password": PASSWORD}).status_code == 302
    assert int(client.session["_auth_user_id"]) == steady.pk


def test_a_task_typed_in_the_admin_follows_the_imports_rules(client, teams):
    a = teams["a"]
    client.force_login(a["admin"])
    form = {
        "project": a["project"].pk,
        "payload": '{"prompt": "Explain"}',
        "references": '[{"title": "Evil", "url": "javascript:alert(1)"}]',
        "domain_tags": "[]",
        "difficulty": 3,
        "model_uncertainty": 0,
        "batch": 0,
        "slots_taken": 0,
    }
    response = client.post("/admin/annotations/task/add/", form)
    assert response.status_code == 200 and "must be an http:// or https:// address" in response.content.decode()
    response = client.post(
        "/admin/annotations/task/add/", {**form, "references": "[]", "payload": '{"prompt": "\\ud800"}'}
    )
    assert response.status_code == 200 and "unpaired UTF-16 surrogate" in response.content.decode()
    response = client.post(
        "/admin/annotations/task/add/", {**form, "project": teams["b"]["project"].pk, "references": "[]"}
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert Task.objects.count() == 4
    response = client.post("/admin/annotations/task/add/", {**form, "references": "[]"})
    assert response.status_code == 302
    assert Task.objects.filter(project=a["project"], payload={"prompt": "Explain"}).count() == 1


def test_a_project_admin_sees_and_manages_the_projects_people_and_guidelines_in_the_admin(client, teams):
    a = teams["a"]
    client.force_login(a["admin"])
    page = client.get(f"/admin/annotations/project/{a['project'].pk}/change/").content.decode()
    assert 'id="memberships-group"' in page and 'id="guideline_versions-group"' in page
    assert 'name="memberships-TOTAL_FORMS"' in page  # an editable formset, not a read-only list
    assert "Team-B" not in page


def test_telemetry_records_are_shown_to_project_admins_and_never_typed_in(client, teams):
    client.force_login(teams["a"]["admin"])
    assert client.get("/admin/telemetry/event/").status_code == 200
    assert client.get("/admin/telemetry/event/add/").status_code == 403
    assert client.get("/admin/telemetry/editorsession/add/").status_code == 403

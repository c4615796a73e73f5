"""The Django admin for project admins: a home listing their own projects with everything they run,
and project settings edited as lists (labels, comparison dimensions) with the project API's words."""

from html.parser import HTMLParser

from django.urls import NoReverseMatch, reverse

from annotations import roles
from annotations.models import Project
from tests.conftest import join


class _FormValues(HTMLParser):
    """The values a browser would post from the admin's change form (inputs, selects, textareas)."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.values[name] = a.get("value", "on")
            else:
                self.values[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def _change(client, project: Project, **changes):
    url = f"/admin/annotations/project/{project.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    parser = _FormValues()
    parser.feed(page.content.decode())
    data = {k: v.removeprefix("\n") for k, v in parser.values.items()}
    data.update(changes)
    return client.post(url, data)


def _field_row(body: str, name: str) -> str:
    """The admin's form row of one field (where its errors are shown)."""
    start = body.index(f"field-{name}")
    end = body.find('class="form-row', start)
    return body[start:end]


def test_admin_home_lists_the_projects_an_admin_runs_and_not_another_teams(client, make_user, make_project):
    alice = make_user("alice", roles.PROJECT_ADMIN)
    bob = make_user("bob", roles.PROJECT_ADMIN)
    ours = make_project(Project.Kind.CLASSIFY, members=[alice], slug="sentiment-ours")
    theirs = make_project(members=[bob], slug="secret-essays")
    client.force_login(alice)
    body = client.get("/admin/").content.decode()
    assert 'data-testid="admin-projects"' in body
    assert body.count('data-testid="admin-project"') == 1
    assert "Sentiment-Ours" in body
    assert "Secret-Essays" not in body
    for link in (
        f"/admin/annotations/project/{ours.pk}/change/",
        f"/admin/annotations/project/{ours.pk}/import/",
        f"/admin/annotations/task/?project__id__exact={ours.pk}",
        f"/admin/annotations/guidelineversion/?project__id__exact={ours.pk}",
        f"/admin/annotations/rubric/?project__id__exact={ours.pk}",
        f"/review/?project={ours.pk}",
        f"/review/calibration/?project={ours.pk}",
        f"/adjudicate/?project={ours.pk}",
    ):
        assert f'href="{link}"' in body, link
    assert f"/admin/annotations/project/{theirs.pk}/" not in body
    try:
        exports = reverse("annotations:project_exports", args=[ours.pk])
    except NoReverseMatch:
        exports = f"/api/projects/{ours.pk}/export/"
    assert f'href="{exports}">Exports</a>' in body
    assert client.get(exports).status_code == 200
    # Every admin link opens for its admin (the filtered change lists accept the project filter).
    for link in (
        f"/admin/annotations/task/?project__id__exact={ours.pk}",
        f"/admin/annotations/guidelineversion/?project__id__exact={ours.pk}",
        f"/admin/annotations/rubric/?project__id__exact={ours.pk}",
    ):
        assert client.get(link).status_code == 200, link


def test_admin_home_of_an_admin_of_two_projects_lists_both(client, make_user, make_project):
    carol = make_user("carol", roles.PROJECT_ADMIN)
    first = make_project(members=[carol], slug="first-team")
    second = make_project(Project.Kind.COMPARE, slug="second-team")
    join(second, carol, roles.PROJECT_ADMIN)
    make_project(slug="nobodys")
    client.force_login(carol)
    body = client.get("/admin/").content.decode()
    assert body.count('data-testid="admin-project"') == 2
    assert "First-Team" in body and "Second-Team" in body and "Nobodys" not in body
    assert f"/admin/annotations/project/{first.pk}/import/" in body


def test_admin_home_of_a_staff_user_without_projects_says_so(client, make_user, make_project):
    make_project(slug="someone-elses")
    staff = make_user("dana", None, is_staff=True)
    client.force_login(staff)
    body = client.get("/admin/").content.decode()
    assert "You administer no project yet." in body
    assert "Someone-Elses" not in body


def test_change_form_shows_one_label_per_line_and_saves_a_list(client, project_admin, make_project):
    project = make_project(Project.Kind.CLASSIFY, members=[project_admin], labels=["positive", "negative"])
    client.force_login(project_admin)
    body = client.get(f"/admin/annotations/project/{project.pk}/change/").content.decode()
    assert ">\npositive\nnegative</textarea>" in body
    response = _change(client, project, labels="positive\n  negative \n\nmixed\n")
    assert response.status_code == 302, response.content.decode()[:2000]
    project.refresh_from_db()
    assert project.labels == ["positive", "negative", "mixed"]


def test_a_bad_label_list_is_refused_beside_the_field_and_keeps_what_was_typed(client, project_admin, make_project):
    project = make_project(Project.Kind.CLASSIFY, members=[project_admin], labels=["positive", "negative"])
    client.force_login(project_admin)
    response = _change(client, project, labels="positive\nnegative\npositive")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Each label may appear only once." in _field_row(body, "labels")
    assert ">\npositive\nnegative\npositive</textarea>" in body
    response = _change(client, project, labels="positive")
    assert "A classification project needs at least two labels." in _field_row(response.content.decode(), "labels")
    project.refresh_from_db()
    assert project.labels == ["positive", "negative"]


def test_dimensions_are_edited_one_per_line_and_a_bad_key_is_refused(client, project_admin, make_project):
    project = make_project(Project.Kind.COMPARE, members=[project_admin])
    client.force_login(project_admin)
    body = client.get(f"/admin/annotations/project/{project.pk}/change/").content.decode()
    assert "accuracy | Accuracy | Correct\nhelpfulness | Helpfulness | Useful</textarea>" in body
    response = _change(client, project, comparison_dimensions="Safety Check | Safety")
    assert response.status_code == 200
    assert "Dimension 1: key must be 1-50 lower-case letters" in _field_row(
        response.content.decode(), "comparison_dimensions"
    )
    response = _change(client, project, comparison_dimensions="safety | Safety | No harm, no hazard\ntone")
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.comparison_dimensions == [
        {"key": "safety", "name": "Safety", "description": "No harm, no hazard"},
        {"key": "tone"},
    ]


def test_quality_settings_say_what_they_do_and_which_do_nothing_yet(client, project_admin, make_project):
    project = make_project(members=[project_admin])
    client.force_login(project_admin)
    body = client.get(f"/admin/annotations/project/{project.pk}/change/").content.decode()
    for name in (
        "overlap",
        "gold_rate",
        "validation_batch_size",
        "iaa_threshold",
        "double_review_rate",
        "show_exemplars",
        "blind_review",
        "flag_thresholds",
        "telemetry_enabled",
        "expected_minutes",
        "assignment_ttl_minutes",
    ):
        assert 'class="help"' in _field_row(body, name), name
    for name in ("gold_rate", "validation_batch_size", "iaa_threshold"):
        assert "Does nothing yet" in _field_row(body, name), name
    assert "Does nothing yet" not in _field_row(body, "overlap")

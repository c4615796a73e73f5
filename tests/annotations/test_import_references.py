"""Reference links are live only for web addresses, on every screen that shows them (issue 8, item 12).

The import refuses javascript:/data: links (test_import_hardening.py); rows stored before that
filter existed must be safe too, so every screen that renders references passes the same
annotations.inputs.web_url.
"""

import pytest

from annotations.models import Project
from tests.annotations.review_helpers import submitted

HOSTILE = [
    "javascript:alert(document.cookie)",
    " JaVaScRiPt:alert(1)",
    "data:text/html,<script>x</script>",
    "vbscript:x",
]


@pytest.fixture
def old_rows(make_project, annotator, other_annotator, reviewer):
    """A task stored with hostile links before the import refused them, and work on it to review."""
    project = make_project(Project.Kind.CLASSIFY, members=[annotator, other_annotator, reviewer], tasks=1)
    task = project.tasks.get()
    task.references = [
        {"id": f"r{i}", "title": f"Ref {i}", "body": "Body.", "url": url} for i, url in enumerate(HOSTILE, start=1)
    ] + [{"id": "ok", "title": "Fine", "url": "https://example.org/guide"}]
    task.save(update_fields=["references"])
    first = submitted(project, annotator, task=task, result={"label": "positive"})
    submitted(project, other_annotator, task=task, result={"label": "neutral"})
    return {"project": project, "task": task, "annotation": first}


def _no_hostile_link(body: str) -> None:
    lowered = body.lower()
    for scheme in ("javascript:", "data:text", "vbscript:"):
        assert f'href="{scheme}' not in lowered and f'href=" {scheme}' not in lowered
    assert 'href="https://example.org/guide"' in body  # the web link is still a link


def test_the_review_page_links_only_web_addresses(client, reviewer, old_rows):
    client.force_login(reviewer)
    response = client.get(f"/review/{old_rows['annotation'].pk}/")
    assert response.status_code == 200
    _no_hostile_link(response.content.decode())


def test_the_adjudication_page_links_only_web_addresses(client, reviewer, old_rows):
    client.force_login(reviewer)
    response = client.get(f"/adjudicate/{old_rows['task'].pk}/?source=annotators")
    assert response.status_code == 200
    _no_hostile_link(response.content.decode())


def test_the_work_screen_links_only_web_addresses(client, make_project, annotator):
    project = make_project(members=[annotator], tasks=1)
    task = project.tasks.get()
    task.references = [{"id": "a", "title": "A", "url": u} for u in HOSTILE[:1]] + [
        {"id": "b", "title": "B", "url": "https://example.org/guide"},
        {"id": "c", "title": "C", "url": "https://example.org/\nx"},
    ]
    task.save(update_fields=["references"])
    client.force_login(annotator)
    body = client.get(f"/work/{project.pk}/").content.decode()
    _no_hostile_link(body)
    assert 'href="https://example.org/\nx"' not in body


def test_the_next_task_api_gives_clients_only_web_links(make_project, annotator):
    from rest_framework.test import APIClient

    project = make_project(members=[annotator], tasks=1)
    task = project.tasks.get()
    task.references = [{"id": "a", "title": "A", "url": HOSTILE[0]}, {"id": "b", "title": "B", "url": "https://x.org"}]
    task.save(update_fields=["references"])
    api = APIClient()
    api.force_authenticate(annotator)
    refs = api.get(f"/api/projects/{project.pk}/next/").json()["references"]
    assert [(r["id"], r["url"]) for r in refs] == [("a", ""), ("b", "https://x.org")]

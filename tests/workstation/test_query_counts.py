"""List screens cost the same number of queries whatever the amount of work behind them (no N+1)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.services.review import review_create
from tests.annotations.review_helpers import GOOD, rubric_add, submitted


def _queries(client, user, url: str) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(captured)


def _export_queries(client, user, project) -> tuple[int, int]:
    """Queries to make a JSONL export (POST), then to download it."""
    client.force_login(user)
    with CaptureQueriesContext(connection) as made:
        response = client.post(f"/api/projects/{project.pk}/export/", {"format": "jsonl"}, "application/json")
    assert response.status_code == 201
    return len(made), _queries(client, user, f"/api/exports/{response.json()['uid']}/download/")


def _world(make_project, make_user, reviewer, admin, prefix: str, n: int):
    annotators = [make_user(f"{prefix}{i}") for i in range(n)]
    project = make_project(members=[*annotators, reviewer, admin], tasks=n + 2, double_review_rate=0.0, slug=prefix)
    rubric_add(project)
    work = [submitted(project, a) for a in annotators]
    for annotation in work[: n // 2]:
        review_create(annotation=annotation, reviewer=reviewer, scores=GOOD, verdict="accept")
    return project, annotators, work


def test_list_screens_do_not_grow_with_rows(client, make_project, make_user, reviewer, project_admin):
    counts = {}
    for prefix, n in (("small", 2), ("large", 10)):
        project, annotators, _ = _world(make_project, make_user, reviewer, project_admin, prefix, n)
        counts[n] = {
            "queue": _queries(client, reviewer, f"/review/?project={project.pk}"),
            "adjudication": _queries(client, reviewer, f"/adjudicate/?project={project.pk}"),
            "home": _queries(client, annotators[0], "/"),
            "feedback": _queries(client, annotators[0], "/feedback/"),
            "calibration": _queries(client, project_admin, f"/review/calibration/?project={project.pk}"),
            "export": _export_queries(client, project_admin, project),
        }
    assert counts[10] == counts[2]

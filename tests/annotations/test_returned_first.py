"""Work sent back for revision is served before new tasks: on the work screen and by the next-task API."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from annotations.models import Annotation, Assignment, Project, Review
from annotations.services.review import review_create
from annotations.services.routing import assignment_next
from annotations.services.work import annotation_start, annotation_submit
from tests.annotations.review_helpers import GOOD, rubric_add


@pytest.fixture
def project(make_project, annotator, reviewer):
    project = make_project(Project.Kind.WRITE, members=[annotator, reviewer], tasks=4, double_review_rate=0)
    rubric_add(project)
    return project


def _hand_in(project, user, text: str, *, ago_minutes: int) -> Annotation:
    """Claim the next task and submit it, as handed in `ago_minutes` ago."""
    annotation = annotation_start(assignment=assignment_next(project=project, user=user))
    annotation_submit(annotation=annotation, result={"text": text})
    Annotation.objects.filter(pk=annotation.pk).update(submitted_at=timezone.now() - dt.timedelta(minutes=ago_minutes))
    annotation.refresh_from_db()
    return annotation


def _send_back(annotation: Annotation, reviewer, feedback: str) -> None:
    review_create(
        annotation=annotation, reviewer=reviewer, scores=GOOD, verdict=Review.Verdict.REVISE, feedback=feedback
    )
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.RETURNED


def test_the_work_screen_serves_the_oldest_returned_work_before_a_new_task(client, project, annotator, reviewer):
    newer = _hand_in(project, annotator, "Newer answer", ago_minutes=5)
    older = _hand_in(project, annotator, "Older answer", ago_minutes=50)
    _send_back(newer, reviewer, "Cite a source for the newer one.")
    _send_back(older, reviewer, "Define the term first.")
    client.force_login(annotator)

    body = client.get(reverse("annotations:work", args=[project.pk])).content.decode()
    assert f'data-annotation-id="{older.pk}"' in body
    assert "Older answer</textarea>" in body and "Define the term first." in body
    assert "Sent back for revision (version 1)" in body
    # No new task was claimed meanwhile.
    assert Assignment.objects.filter(annotator=annotator, state=Assignment.State.ACTIVE).count() == 0

    post = reverse("annotations:work_annotation", args=[project.pk, older.pk])
    client.post(post, {"text": "Older answer, with the term defined."})
    older.refresh_from_db()
    assert older.state == Annotation.State.SUBMITTED and older.version == 2

    body = client.get(reverse("annotations:work", args=[project.pk])).content.decode()
    assert f'data-annotation-id="{newer.pk}"' in body and "Cite a source for the newer one." in body
    client.post(reverse("annotations:work_annotation", args=[project.pk, newer.pk]), {"text": "Newer, sourced."})

    # Nothing returned is left: a new task is claimed.
    client.get(reverse("annotations:work", args=[project.pk]))
    fresh = Assignment.objects.get(annotator=annotator, state=Assignment.State.ACTIVE)
    assert fresh.task_id not in (older.task_id, newer.task_id)


def test_a_task_in_progress_stays_first_then_returned_work(client, project, annotator, reviewer):
    returned = _hand_in(project, annotator, "First answer", ago_minutes=30)
    in_progress = annotation_start(assignment=assignment_next(project=project, user=annotator))
    _send_back(returned, reviewer, "Shorter, please.")
    client.force_login(annotator)
    body = client.get(reverse("annotations:work", args=[project.pk])).content.decode()
    assert f'data-annotation-id="{in_progress.pk}"' in body
    assert "task " + str(returned.task_id) in body  # the "sent back" list names it
    client.post(reverse("annotations:work_annotation", args=[project.pk, in_progress.pk]), {"text": "Done."})
    body = client.get(reverse("annotations:work", args=[project.pk])).content.decode()
    assert f'data-annotation-id="{returned.pk}"' in body and "Shorter, please." in body


def test_the_next_task_api_hands_back_returned_work_with_its_feedback_and_takes_the_revision(
    project, annotator, reviewer
):
    returned = _hand_in(project, annotator, "Draft one", ago_minutes=10)
    _send_back(returned, reviewer, "Add an example.")
    api = APIClient()
    api.force_authenticate(annotator)

    body = api.get(f"/api/projects/{project.pk}/next/").json()
    assert body["annotation_id"] == returned.pk and body["task_id"] == returned.task_id
    assert body["returned"] is True and body["version"] == 1
    assert body["feedback"] == [{"verdict": "revise", "feedback": "Add an example."}]
    assert body["draft"] == {"text": "Draft one"}
    assert "sent back for revision" in body["routed_because"]
    assert Assignment.objects.filter(annotator=annotator, state=Assignment.State.ACTIVE).count() == 0

    response = api.post(
        f"/api/tasks/{returned.task_id}/annotations/", {"result": {"text": "Draft two, e.g. X."}}, format="json"
    )
    assert response.status_code == 201 and response.json()["version"] == 2
    returned.refresh_from_db()
    assert returned.state == Annotation.State.SUBMITTED and returned.result == {"text": "Draft two, e.g. X."}

    body = api.get(f"/api/projects/{project.pk}/next/").json()
    assert body["returned"] is False and body["feedback"] == [] and body["task_id"] != returned.task_id


def test_returned_work_made_outside_routing_is_served_too(project, annotator, reviewer):
    task = project.tasks.order_by("id").first()
    annotation = Annotation.objects.create(
        task=task, annotator=annotator, guideline_version=project.current_guideline()
    )
    annotation_submit(annotation=annotation, result={"text": "Imported answer"})
    _send_back(annotation, reviewer, "Fix the spelling.")
    assignment = assignment_next(project=project, user=annotator)
    assert assignment.returned == annotation and assignment.task_id == task.pk
    assert annotation_start(assignment=assignment).pk == annotation.pk

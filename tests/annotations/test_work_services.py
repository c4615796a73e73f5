"""annotation_submit guards the claim: work on a slot that was given back cannot push a task past k."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from annotations.models import Annotation, Assignment, Task
from annotations.services.routing import assignment_next
from annotations.services.work import annotation_start, annotation_submit, assignment_skip


def test_submit_after_the_claim_expired_is_refused_and_the_slot_stays_free(make_project, annotator):
    project = make_project(members=[annotator], tasks=1, overlap=1)
    assignment = assignment_next(project=project, user=annotator)
    annotation = annotation_start(assignment=assignment)
    Assignment.objects.filter(pk=assignment.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    annotation.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        annotation_submit(annotation=annotation, result={"text": "Late work"})
    assert "expired" in refused.value.message_dict["result"][0]
    assert Annotation.objects.get(pk=annotation.pk).state == Annotation.State.DRAFT
    task = Task.objects.get(pk=assignment.task_id)
    assert (task.slots_taken, task.is_full) == (0, False)


def test_submit_after_a_skip_is_refused(make_project, annotator):
    project = make_project(members=[annotator], tasks=1)
    assignment = assignment_next(project=project, user=annotator)
    annotation = annotation_start(assignment=assignment)
    assignment_skip(assignment=assignment, reason="Not my field")
    annotation.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        annotation_submit(annotation=annotation, result={"text": "Changed my mind"})
    assert "skipped" in refused.value.message_dict["result"][0]


def test_submit_within_the_claim_is_kept_with_its_guideline_version(make_project, annotator):
    project = make_project(members=[annotator], tasks=1)
    annotation = annotation_start(assignment=assignment_next(project=project, user=annotator))
    annotation_submit(annotation=annotation, result={"text": "  An explanation.  "})
    annotation.refresh_from_db()
    assert (annotation.state, annotation.result, annotation.guideline_version.number) == (
        Annotation.State.SUBMITTED,
        {"text": "An explanation."},
        1,
    )
    assert Assignment.objects.get(pk=annotation.assignment_id).state == Assignment.State.SUBMITTED
    assert list(annotation.versions.values_list("number", flat=True)) == [1]


# None: junk reads as absent, and the server's own measure (time since the task opened) is kept.
@pytest.mark.parametrize(("given", "kept"), [(1e308, 7 * 24 * 3600), (-5.0, None), (float("nan"), None), (90.5, 90.5)])
def test_active_time_from_the_page_is_kept_within_a_week_and_never_refuses_the_work(
    make_project, annotator, client, given, kept
):
    project = make_project(members=[annotator], tasks=1)
    annotation = annotation_start(assignment=assignment_next(project=project, user=annotator))
    client.force_login(annotator)
    post = {"text": "An explanation.", "active_seconds": repr(given)}
    client.post(f"/work/{project.pk}/annotations/{annotation.pk}/", post)
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.SUBMITTED
    if kept is None:
        assert 0 <= annotation.active_seconds < 60
    else:
        assert annotation.active_seconds == kept


def test_the_api_draft_answer_says_when_the_draft_was_saved(make_project, annotator):
    from rest_framework.test import APIClient

    project = make_project(members=[annotator], tasks=1)
    api = APIClient()
    api.force_authenticate(annotator)
    task_id = api.get(f"/api/projects/{project.pk}/next/").json()["task_id"]
    answer = api.put(f"/api/tasks/{task_id}/annotations/draft/", {"result": {"text": "So far"}}, format="json")
    assert answer.status_code == 200
    saved = Annotation.objects.get(task_id=task_id, annotator=annotator).draft_saved_at
    assert saved is not None and answer.json()["draft_saved_at"].startswith(saved.strftime("%Y-%m-%dT%H:%M:%S"))

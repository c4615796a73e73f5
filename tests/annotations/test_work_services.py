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

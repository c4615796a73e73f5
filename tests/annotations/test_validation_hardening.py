"""Results, drafts and skip reasons refuse what cannot be stored or shown, naming the field (issue 8, items 2 and 14).

A lone surrogate ("\\ud800" in JSON) or a NUL passed every validator and was stored; the work
screen, the next-task API and the review page then answered 500. Non-finite numbers and deep
nesting inside a result reached int() and the database. Skip reasons were cut at 2,000 characters
without a word.
"""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from annotations.models import Annotation, Assignment, Project
from annotations.services.work import annotation_save_draft, assignment_skip
from annotations.validation import result_validate

LONE = "Photosynthesis \ud800 makes sugar."
DEEP = json.loads("[" * 500 + "]" * 500)


def _refused(project, result) -> dict:
    with pytest.raises(ValidationError) as caught:
        result_validate(project=project, result=result)
    return caught.value.message_dict


@pytest.mark.parametrize("text", [LONE, "tab\x00nul", "\udfff"])
def test_write_text_that_cannot_be_stored_is_refused_naming_the_field(make_project, text):
    errors = _refused(make_project(tasks=0), {"text": text})
    assert list(errors) == ["text"]
    assert "surrogate" in errors["text"][0] or "NUL" in errors["text"][0]


def test_classify_and_compare_text_fields_are_checked_too(make_project):
    classify = make_project(Project.Kind.CLASSIFY, tasks=0)
    errors = _refused(classify, {"label": "positive", "text": LONE})
    assert list(errors) == ["text"]
    errors = _refused(classify, {"labels": ["positive", "\ud800"], "label": "positive"})
    assert "labels" in errors and "surrogate" in errors["labels"][0]
    compare = make_project(Project.Kind.COMPARE, tasks=0, text_required=False)
    pref = {"choice": "a", "strength": 2}
    good = {"dimensions": {"accuracy": pref, "helpfulness": pref}, "overall": pref}
    errors = _refused(compare, {**good, "rationale": LONE})
    assert list(errors) == ["rationale"]


def test_every_message_can_itself_be_shown(make_project):
    """An error that quotes the bad value must not carry the surrogate to the screen."""
    project = make_project(Project.Kind.CLASSIFY, tasks=0, multi_label=True)
    errors = _refused(project, {"labels": ["\ud800"]})
    for messages in errors.values():
        for message in messages:
            message.encode("utf-8")


@pytest.mark.parametrize(
    "strength, word",
    [(float("inf"), "not finite"), (float("nan"), "not finite"), (2**70, "64-bit"), (DEEP, "nested")],
)
def test_absurd_numbers_and_deep_nesting_in_a_result_are_named_not_a_500(make_project, strength, word):
    project = make_project(Project.Kind.COMPARE, tasks=0, text_required=False)
    pref = {"choice": "a", "strength": 2}
    result = {"dimensions": {"accuracy": {"choice": "a", "strength": strength}, "helpfulness": pref}, "overall": pref}
    errors = _refused(project, result)
    assert list(errors) == ["dimensions.accuracy"]  # beside the dimension, as the screen shows it
    assert word in errors["dimensions.accuracy"][0]


def test_an_unstorable_value_under_any_key_is_refused_by_its_key(make_project):
    errors = _refused(make_project(tasks=0), {"text": "Fine.", "notes": {"x": float("nan")}})
    assert list(errors) == ["notes"]
    errors = _refused(make_project(tasks=0), {"text": "Fine.", "\ud800": 1})
    assert list(errors) == ["result"]


def test_the_api_submit_refuses_a_lone_surrogate_and_the_next_screens_still_work(
    client, annotator, make_project, make_user
):
    from rest_framework.test import APIClient

    project = make_project(members=[annotator], tasks=1)
    api = APIClient()
    api.force_authenticate(annotator)
    claim = api.get(f"/api/projects/{project.pk}/next/").json()
    body = '{"result": {"text": "Sugar \\ud800 from light."}}'
    response = api.post(f"/api/tasks/{claim['task_id']}/annotations/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "surrogate" in json.dumps(response.json())
    annotation = Annotation.objects.get(pk=claim["annotation_id"])
    assert annotation.state == Annotation.State.DRAFT
    assert api.get(f"/api/projects/{project.pk}/next/").status_code == 200
    client.force_login(annotator)
    assert client.get(reverse("annotations:work", args=[project.pk])).status_code == 200


def _draft(make_project, annotator, kind=Project.Kind.WRITE) -> Annotation:
    project = make_project(kind, members=[annotator], tasks=1)
    task = project.tasks.get()
    expires = timezone.now() + dt.timedelta(hours=1)
    assignment = Assignment.objects.create(task=task, annotator=annotator, expires_at=expires)
    return Annotation.objects.create(task=task, annotator=annotator, assignment=assignment)


def test_a_draft_may_be_invalid_for_its_kind_but_must_be_storable(make_project, annotator):
    annotation = _draft(make_project, annotator)
    annotation_save_draft(annotation=annotation, result={"text": "", "half": [1, 2]})  # incomplete: kept
    assert Annotation.objects.get(pk=annotation.pk).result == {"text": "", "half": [1, 2]}
    for result, field, word in [
        ({"text": LONE}, "text", "surrogate"),
        ({"text": "ok", "labels": [float("inf")]}, "labels", "not finite"),
        ({"text": "ok", "deep": DEEP}, "deep", "nested"),
        ({"text": "ok", "n": 2**64}, "n", "64-bit"),
    ]:
        with pytest.raises(ValidationError) as caught:
            annotation_save_draft(annotation=annotation, result=result)
        assert list(caught.value.message_dict) == [field]
        assert word in caught.value.message_dict[field][0]
    assert Annotation.objects.get(pk=annotation.pk).result == {"text": "", "half": [1, 2]}


def test_a_skip_reason_over_the_limit_is_refused_naming_the_limit(make_project, annotator):
    annotation = _draft(make_project, annotator)
    with pytest.raises(ValidationError) as caught:
        assignment_skip(assignment=annotation.assignment, reason="x" * 2001)
    assert "2,000" in caught.value.message_dict["skip_reason"][0]
    assert Assignment.objects.get(pk=annotation.assignment_id).state == Assignment.State.ACTIVE
    with pytest.raises(ValidationError) as caught:
        assignment_skip(assignment=annotation.assignment, reason="broken \x00 prompt")
    assert "NUL" in caught.value.message_dict["skip_reason"][0]
    assignment_skip(assignment=annotation.assignment, reason="y" * 2000)
    skipped = Assignment.objects.get(pk=annotation.assignment_id)
    assert skipped.state == Assignment.State.SKIPPED and skipped.skip_reason == "y" * 2000


def test_the_work_screen_keeps_a_too_long_skip_reason_and_says_why(client, annotator, make_project):
    project = make_project(members=[annotator], tasks=2)
    client.force_login(annotator)
    client.get(reverse("annotations:work", args=[project.pk]))
    annotation = Annotation.objects.get(annotator=annotator)
    url = reverse("annotations:work_annotation", args=[project.pk, annotation.pk])
    reason = "The prompt asks for " + "z" * 2100
    response = client.post(url, {"action": "skip", "skip_reason": reason}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code in (200, 422)
    assert "2,000" in body
    assert Assignment.objects.get(pk=annotation.assignment_id).state == Assignment.State.ACTIVE
    page = client.post(url, {"action": "skip", "skip_reason": reason}).content.decode()
    assert reason in page  # everything typed is still on the screen


@pytest.mark.parametrize("extra", [{}, {"autosave": "1"}])
def test_the_work_screen_refuses_a_draft_with_a_nul_naming_the_field(client, annotator, make_project, extra):
    project = make_project(members=[annotator], tasks=1)
    client.force_login(annotator)
    client.get(reverse("annotations:work", args=[project.pk]))
    annotation = Annotation.objects.get(annotator=annotator)
    url = reverse("annotations:work_annotation", args=[project.pk, annotation.pk])
    response = client.post(url, {"action": "draft", "text": "half \x00 done", **extra}, HTTP_HX_REQUEST="true")
    assert 200 <= response.status_code < 500
    assert "NUL" in response.content.decode()
    assert Annotation.objects.get(pk=annotation.pk).result in ({}, None)
    response = client.post(url, {"text": "Sugar \x00 from light."})
    assert response.status_code < 500 and "NUL" in response.content.decode()
    assert Annotation.objects.get(pk=annotation.pk).state == Annotation.State.DRAFT

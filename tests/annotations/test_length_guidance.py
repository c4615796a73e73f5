"""Length guidance per project (min/max words): shown beside the free text, a warning and never a refusal."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotations.models import Annotation, Project
from annotations.validation import length_guidance, word_count


def _screen(client, user, project) -> tuple[str, Annotation]:
    client.force_login(user)
    body = client.get(reverse("annotations:work", args=[project.pk])).content.decode()
    return body, Annotation.objects.filter(annotator=user, task__project=project).order_by("-id").first()


def _counter(body: str) -> str:
    return body.split('data-testid="word-count"')[1].split("</p>")[0]


def test_the_write_screen_shows_the_word_count_of_the_draft_against_the_projects_range(client, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator], min_words=80, max_words=200)
    body, annotation = _screen(client, annotator, project)
    assert 'data-min="80" data-max="200"' in _counter(body) and ">0 words (aim for 80-200)" in _counter(body)
    assert 'id="length-warning"' in body and "js/length.js" in body

    post = reverse("annotations:work_annotation", args=[project.pk, annotation.pk])
    client.post(post, {"action": "draft", "text": "Light makes sugar in leaves."})
    body = client.get(post).content.decode()
    assert ">5 words (aim for 80-200)" in _counter(body) and 'class="word-count outside"' in body


def test_no_guidance_no_counter(client, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator])
    body, _ = _screen(client, annotator, project)
    assert 'data-testid="word-count"' not in body


def test_the_compare_rationale_and_the_classify_rationale_get_the_counter(client, annotator, make_project):
    compare = make_project(Project.Kind.COMPARE, members=[annotator], max_words=50)
    body, _ = _screen(client, annotator, compare)
    assert "0 words (aim for at most 50)" in _counter(body)
    classify = make_project(Project.Kind.CLASSIFY, members=[annotator], min_words=10)
    body, _ = _screen(client, annotator, classify)
    assert "0 words (aim for at least 10)" in _counter(body) and "data-optional" in _counter(body)


def test_text_outside_the_range_is_stored_as_submitted(client, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator], min_words=80, max_words=200)
    _, annotation = _screen(client, annotator, project)
    post = reverse("annotations:work_annotation", args=[project.pk, annotation.pk])
    client.post(post, {"text": "Too short."})
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.SUBMITTED and annotation.result == {"text": "Too short."}


@pytest.mark.parametrize(
    ("text", "words", "outside"),
    [("", "0 words (aim for 2-3)", True), ("one two", "2 words (aim for 2-3)", False), ("a b c d", "4 words", True)],
)
def test_length_guidance_counts_words_as_the_editor_does(make_project, text, words, outside):
    project = make_project(Project.Kind.WRITE, tasks=0, min_words=2, max_words=3)
    shown = length_guidance(project=project, text=text)
    assert shown["words"].startswith(words) and shown["outside"] is outside
    assert word_count("  tabs\tand\nnew lines  ") == 4


def test_an_empty_optional_rationale_is_not_outside_the_range(make_project):
    project = make_project(Project.Kind.CLASSIFY, tasks=0, min_words=5)
    assert length_guidance(project=project, text="")["outside"] is False
    assert length_guidance(project=project, text="too few")["outside"] is True


def test_a_maximum_below_the_minimum_is_refused_beside_the_maximum(make_project):
    project = make_project(Project.Kind.WRITE, tasks=0, min_words=100, max_words=50)
    with pytest.raises(ValidationError) as exc:
        project.full_clean()
    assert "below the minimum" in exc.value.message_dict["max_words"][0]


def test_project_admins_set_the_length_over_the_api_and_a_crossed_range_is_refused(project_admin, make_project):
    from rest_framework.test import APIClient

    project = make_project(Project.Kind.WRITE, members=[project_admin], tasks=0)
    api = APIClient()
    api.force_authenticate(project_admin)
    response = api.patch(f"/api/projects/{project.pk}/", {"min_words": 80, "max_words": 200}, format="json")
    assert response.status_code == 200 and (response.json()["min_words"], response.json()["max_words"]) == (80, 200)
    response = api.patch(f"/api/projects/{project.pk}/", {"max_words": 50}, format="json")
    assert response.status_code == 400 and "below the minimum" in str(response.json()["errors"]["max_words"])
    project.refresh_from_db()
    assert (project.min_words, project.max_words) == (80, 200)


def test_the_projects_admin_page_offers_the_length_with_its_help_text(client, project_admin, make_project):
    project = make_project(Project.Kind.WRITE, members=[project_admin], tasks=0)
    client.force_login(project_admin)
    body = client.get(reverse("admin:annotations_project_change", args=[project.pk])).content.decode()
    assert 'name="min_words"' in body and 'name="max_words"' in body
    assert "0 means no minimum" in body and "0 means no maximum" in body

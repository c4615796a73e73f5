"""The annotator's work screens through the Django test client: what a user sees and what gets stored."""

from django.urls import reverse

from annotations.models import Annotation, Assignment, Project

HX = {"HTTP_HX_REQUEST": "true"}


def work_url(project):
    return reverse("annotations:work", args=[project.pk])


def post_url(annotation):
    return reverse("annotations:work-post", args=[annotation.task.project_id, annotation.pk])


def claim(client, user, project):
    """Open the work screen as `user`; returns (response, the annotation it started)."""
    client.force_login(user)
    response = client.get(work_url(project))
    annotation = Annotation.objects.filter(annotator=user, task__project=project).order_by("-id").first()
    return response, annotation


def test_work_screen_claims_a_task_and_shows_it(client, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator])
    response, annotation = claim(client, annotator, project)
    body = response.content.decode()
    assert response.status_code == 200
    assert Assignment.objects.filter(annotator=annotator, state=Assignment.State.ACTIVE).count() == 1
    assert annotation.state == Annotation.State.DRAFT
    assert f"Explain thing {annotation.task.payload['prompt'][-1]}" in body
    assert 'id="work-form"' in body and "data-task-text" in body
    assert '<textarea id="editor-text" data-instrument name="text"' in body
    assert 'data-reference-id="r1"' in body and 'class="reference-body"' in body
    assert 'data-testid="telemetry-notice"' in body and "never the characters you type" in body
    assert 'data-telemetry-url="/ws/telemetry/' in body and "data-telemetry-salt=" in body
    assert 'name="final_seq"' in body and 'name="active_seconds"' in body
    assert "js/telemetry.js" in body and "js/annotate.js" in body
    # Reloading continues the same task instead of claiming another.
    client.get(work_url(project))
    assert Assignment.objects.filter(annotator=annotator).count() == 1

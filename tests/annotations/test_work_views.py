"""The annotator's work screens through the Django test client: what a user sees and what gets stored."""

import pytest
from django.urls import reverse

from annotations import roles
from annotations.models import Annotation, Assignment, GuidelineVersion, Project, Task
from tests.conftest import join

HX = {"HTTP_HX_REQUEST": "true"}


def work_url(project):
    return reverse("annotations:work", args=[project.pk])


def post_url(annotation):
    return reverse("annotations:work_annotation", args=[annotation.task.project_id, annotation.pk])


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


def test_valid_write_submit_stores_the_text_under_the_current_guideline(client, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator])
    _, annotation = claim(client, annotator, project)
    response = client.post(
        post_url(annotation), {"text": "  Plants make sugar from light.  ", "final_seq": "42", "active_seconds": "61.5"}
    )
    assert response.status_code == 302 and response["Location"] == work_url(project)
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.SUBMITTED
    assert annotation.result == {"text": "Plants make sugar from light."}
    assert annotation.guideline_version == project.current_guideline()
    assert annotation.active_seconds == 61.5
    assert annotation.assignment.state == Assignment.State.SUBMITTED
    assert annotation.versions.get().result == {"text": "Plants make sugar from light."}


def test_valid_classify_submit_stores_the_label_and_rationale(client, annotator, make_project):
    project = make_project(Project.Kind.CLASSIFY, members=[annotator])
    response, annotation = claim(client, annotator, project)
    body = response.content.decode()
    assert 'data-shortcut-label="1" ' not in body  # the attribute is on the input, numbered from 1
    assert 'value="positive" data-shortcut-label="1"' in body and 'value="neutral" data-shortcut-label="3"' in body
    client.post(post_url(annotation), {"label": "negative", "text": "'awful' decides it"})
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.SUBMITTED
    assert annotation.result == {"label": "negative", "text": "'awful' decides it"}
    assert annotation.guideline_version.number == 1


def test_multi_label_classify_submit_keeps_every_chosen_label(client, annotator, make_project):
    project = make_project(Project.Kind.CLASSIFY, members=[annotator], multi_label=True)
    response, annotation = claim(client, annotator, project)
    assert 'type="checkbox" name="labels" value="negative"' in response.content.decode()
    client.post(post_url(annotation), {"labels": ["neutral", "positive"], "text": ""})
    annotation.refresh_from_db()
    assert annotation.result["labels"] == ["positive", "neutral"]  # in the project's label order


@pytest.mark.parametrize("left", ["a", "b"])
def test_compare_submit_maps_left_and_right_back_to_the_true_responses(client, annotator, make_project, left):
    project = make_project(Project.Kind.COMPARE, members=[annotator], tasks=1)
    _, annotation = claim(client, annotator, project)
    Annotation.objects.filter(pk=annotation.pk).update(left_response=left)
    right = "b" if left == "a" else "a"
    body = client.get(work_url(project)).content.decode()
    # The left panel shows the response recorded as left.
    left_panel = body.split('data-testid="response-left"', 1)[1].split("</div>", 1)[0]
    assert f"{left.upper()}0" in left_panel
    response = client.post(
        post_url(annotation),
        {
            "dim-accuracy": "left",
            "dim-accuracy-strength": "3",
            "dim-helpfulness": "tie",
            "overall": "right",
            "overall-strength": "1",
            "rationale": "Left cites the source; right is vaguer.",
        },
    )
    assert response.status_code == 302
    annotation.refresh_from_db()
    assert annotation.result == {
        "dimensions": {"accuracy": {"choice": left, "strength": 3}, "helpfulness": {"choice": "tie", "strength": 0}},
        "overall": {"choice": right, "strength": 1},
        "rationale": "Left cites the source; right is vaguer.",
    }
    assert annotation.guideline_version == project.current_guideline()


def test_invalid_htmx_submit_marks_the_field_and_leaves_the_form_alone(client, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator])
    _, annotation = claim(client, annotator, project)
    response = client.post(post_url(annotation), {"text": "   "}, **HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#form-status"
    assert 'id="error-text" role="alert" hx-swap-oob="true">Text is required.</div>' in body
    assert "Not submitted" in body and 'id="work-area"' not in body
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.DRAFT


def test_invalid_submit_without_htmx_shows_the_error_beside_the_field_and_keeps_the_text(
    client, annotator, make_project
):
    project = make_project(Project.Kind.CLASSIFY, members=[annotator], text_required=True)
    _, annotation = claim(client, annotator, project)
    response = client.post(post_url(annotation), {"text": "The word 'refund' <b>decides</b> it"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="error-label" role="alert">Choose a label.</div>' in body
    assert "The word &#x27;refund&#x27; &lt;b&gt;decides&lt;/b&gt; it</textarea>" in body
    assert 'id="error-text" role="alert"></div>' in body  # the valid field carries no error
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.DRAFT


def test_invalid_compare_submit_names_the_missing_dimension_and_keeps_the_choices(client, annotator, make_project):
    project = make_project(Project.Kind.COMPARE, members=[annotator], tasks=1)
    _, annotation = claim(client, annotator, project)
    response = client.post(
        post_url(annotation),
        {"dim-accuracy": "right", "dim-accuracy-strength": "2", "overall": "left", "rationale": "half done"},
    )
    body = response.content.decode()
    assert 'id="error-dim-helpfulness" role="alert">Choose left, right or tie.</div>' in body
    assert 'id="error-overall" role="alert">Say how much better: 1 slightly, 2 clearly, 3 much.</div>' in body
    assert 'id="error-dim-accuracy" role="alert"></div>' in body
    assert 'name="dim-accuracy" value="right" checked' in body
    assert 'name="dim-accuracy-strength" value="2" checked' in body
    assert 'name="overall" value="left" checked' in body
    assert "half done</textarea>" in body


def test_skip_needs_a_reason_and_then_frees_the_slot(client, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator], tasks=2)
    _, annotation = claim(client, annotator, project)
    task = annotation.task
    assert Task.objects.get(pk=task.pk).slots_taken == 1
    response = client.post(post_url(annotation), {"action": "skip", "skip_reason": "  "}, **HX)
    assert 'id="error-skip_reason" role="alert" hx-swap-oob="true">Say why you are skipping this task.' in (
        response.content.decode()
    )
    assert Assignment.objects.get(pk=annotation.assignment_id).state == Assignment.State.ACTIVE
    response = client.post(post_url(annotation), {"action": "skip", "skip_reason": "Outside my expertise"}, **HX)
    assignment = Assignment.objects.get(pk=annotation.assignment_id)
    assert assignment.state == Assignment.State.SKIPPED and assignment.skip_reason == "Outside my expertise"
    assert Task.objects.get(pk=task.pk).slots_taken == 0
    # The next task is swapped in, and it is another task.
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="work-area"')
    nxt = Annotation.objects.filter(annotator=annotator).exclude(pk=annotation.pk).get()
    assert nxt.task_id != task.pk and f'data-task-id="{nxt.task_id}"' in body


def test_draft_save_keeps_the_text_without_submitting(client, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator])
    _, annotation = claim(client, annotator, project)
    response = client.post(post_url(annotation), {"action": "draft", "text": "First half of my answer"}, **HX)
    assert "Draft saved at" in response.content.decode()
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.DRAFT and annotation.result == {"text": "First half of my answer"}
    body = client.get(work_url(project)).content.decode()
    assert "First half of my answer</textarea>" in body
    # A draft is never refused for its content: an empty draft is saved too.
    client.post(post_url(annotation), {"action": "draft", "text": ""}, **HX)
    annotation.refresh_from_db()
    assert annotation.result == {"text": ""}


def test_non_member_gets_404_and_anonymous_goes_to_login(client, annotator, other_annotator, make_user, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator])
    client.force_login(other_annotator)
    assert client.get(work_url(project)).status_code == 404
    assert not Assignment.objects.filter(annotator=other_annotator).exists()
    # A reviewer who belongs to the project does not get tasks routed to them either.
    reviewer = make_user("rev-member", roles.REVIEWER)
    join(project, reviewer)
    client.force_login(reviewer)
    assert client.get(work_url(project)).status_code == 404
    client.logout()
    response = client.get(work_url(project))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_another_annotator_can_neither_see_nor_submit_my_annotation(client, annotator, other_annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator, other_annotator], tasks=2, overlap=2)
    _, mine = claim(client, annotator, project)
    client.post(post_url(mine), {"action": "draft", "text": "my private draft"})
    body, theirs = claim(client, other_annotator, project)
    assert "my private draft" not in body.content.decode()
    assert client.post(post_url(mine), {"text": "hijack"}).status_code == 404
    assert client.post(post_url(mine), {"action": "skip", "skip_reason": "x"}).status_code == 404
    mine.refresh_from_db()
    assert mine.state == Annotation.State.DRAFT and mine.result == {"text": "my private draft"}
    assert theirs.annotator == other_annotator


def test_what_changed_since_my_last_guideline_version(client, annotator, project_admin, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator], tasks=3)
    response, first = claim(client, annotator, project)
    assert 'data-testid="guideline-changes"' not in response.content.decode()  # nothing worked under yet
    client.post(post_url(first), {"text": "Done under v1"})
    GuidelineVersion.objects.create(
        project=project, number=2, text="# Guide\n\nCite sources.", change_summary="Cite every source."
    )
    GuidelineVersion.objects.create(
        project=project,
        number=3,
        text="# Guide v3\n\nUse metric units.<script>alert(1)</script>",
        change_summary="Metric units only.",
    )
    body = client.get(work_url(project)).content.decode()
    assert "v1 → v3" in body
    assert "Cite every source." in body and "Metric units only." in body
    assert "<h1>Guide v3</h1>" in body  # the guideline's markdown, rendered
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    second = Annotation.objects.filter(annotator=annotator, state=Annotation.State.DRAFT).get()
    client.post(post_url(second), {"text": "Done under v3"})
    body = client.get(work_url(project)).content.decode()
    assert 'data-testid="guideline-changes"' not in body and "Unchanged since you last worked here." in body


def test_all_done_screen_when_nothing_is_left(client, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator], tasks=1)
    _, annotation = claim(client, annotator, project)
    response = client.post(post_url(annotation), {"text": "The only task"}, **HX)
    body = response.content.decode()
    assert 'data-testid="all-done"' in body and "<html" not in body
    assert 'data-testid="done-here">1<' in body
    body = client.get(work_url(project)).content.decode()
    assert "All done in" in body and "<html" in body


def test_htmx_requests_get_only_the_work_area(client, annotator, make_project):
    project = make_project(Project.Kind.COMPARE, members=[annotator], tasks=2)
    client.force_login(annotator)
    body = client.get(work_url(project), **HX).content.decode()
    assert (
        body.lstrip().startswith('<div id="work-area"') and "<html" not in body and '<header class="topbar"' not in body
    )
    first = Annotation.objects.get(annotator=annotator)
    response = client.post(
        post_url(first),
        {
            "dim-accuracy": "tie",
            "dim-helpfulness": "tie",
            "overall": "left",
            "overall-strength": "2",
            "rationale": "close call",
        },
        **HX,
    )
    body = response.content.decode()
    second = Annotation.objects.exclude(pk=first.pk).get(annotator=annotator)
    assert body.lstrip().startswith('<div id="work-area"') and "<html" not in body
    assert f'data-annotation-id="{second.pk}"' in body
    assert first.editor_sessions.count() == 1 and second.editor_sessions.count() == 1
    assert f'data-telemetry-url="/ws/telemetry/{second.editor_sessions.get().pk}/"' in body


def test_telemetry_off_project_says_so_and_has_no_socket(client, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator], telemetry_enabled=False)
    body, _ = claim(client, annotator, project)
    body = body.content.decode()
    assert "recording is off" in body and "data-telemetry-url" not in body
    assert "js/telemetry.js" in body


def test_home_offers_start_then_continue(client, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator], tasks=2, slug="essays")
    client.force_login(annotator)
    body = client.get("/").content.decode()
    assert f'href="{work_url(project)}" data-testid="work-essays"' in body and ">Start</a>" in body
    assert 'data-testid="waiting-essays">2' in body
    client.get(work_url(project))
    body = client.get("/").content.decode()
    assert ">Continue</a>" in body and 'data-testid="waiting-essays">1' in body
    assert 'data-testid="shortcut-hints"' in body


def test_work_sent_back_for_revision_is_revised_on_its_own_screen(client, annotator, reviewer, make_project):
    from annotations.models import Review

    project = make_project(Project.Kind.WRITE, members=[annotator], tasks=1)
    _, annotation = claim(client, annotator, project)
    client.post(post_url(annotation), {"text": "First try"})
    Review.objects.create(
        annotation=annotation, reviewer=reviewer, verdict=Review.Verdict.REVISE, feedback="Name the Calvin cycle."
    )
    Annotation.objects.filter(pk=annotation.pk).update(state=Annotation.State.RETURNED)
    # The work screen serves it first (returned work before new tasks), as its own screen does.
    assert f'action="{post_url(annotation)}"' in client.get(work_url(project)).content.decode()
    body = client.get(post_url(annotation)).content.decode()
    assert "First try</textarea>" in body and "Name the Calvin cycle." in body
    assert 'id="skip-form"' not in body  # a returned task cannot be skipped
    client.post(post_url(annotation), {"text": "Second try: the Calvin cycle fixes carbon."})
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.SUBMITTED and annotation.version == 2
    assert [v.result["text"] for v in annotation.versions.order_by("number")] == [
        "First try",
        "Second try: the Calvin cycle fixes carbon.",
    ]
    # Handed in: its screen now leads back to the work screen.
    response = client.get(post_url(annotation))
    assert response.status_code == 302 and response["Location"] == work_url(project)


def test_a_skipped_task_cannot_be_submitted_afterwards(client, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator], tasks=2)
    _, annotation = claim(client, annotator, project)
    client.post(post_url(annotation), {"action": "skip", "skip_reason": "Broken prompt"})
    response = client.post(post_url(annotation), {"text": "Late answer"}, **HX)
    assert "no longer assigned to you" in response.content.decode()
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.DRAFT
    assert Task.objects.get(pk=annotation.task_id).slots_taken == 0


def test_reference_links_only_go_to_web_addresses(client, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator], tasks=1)
    project.tasks.update(
        references=[
            {"id": "web", "title": "Spec", "url": "https://example.org/spec"},
            {"id": "evil", "title": "Evil", "url": "javascript:alert(1)"},
        ]
    )
    body, _ = claim(client, annotator, project)
    body = body.content.decode()
    assert 'href="https://example.org/spec"' in body
    assert "javascript:alert" not in body and 'data-reference-id="evil"' in body

"""Drafts saved by hand (Ctrl+S) and by the screen's autosave: when they were saved, what is shown
on the next visit, and that a draft never overwrites or reopens submitted work."""

import datetime
import html
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotations.models import Annotation, AnnotationVersion, Assignment, Project
from annotations.services.work import annotation_save_draft, annotation_submit

HX = {"HTTP_HX_REQUEST": "true"}
AUTOSAVE = {"action": "draft", "autosave": "1"}
PROPERTY = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def work_url(project):
    return reverse("annotations:work", args=[project.pk])


def post_url(annotation):
    return reverse("annotations:work_annotation", args=[annotation.task.project_id, annotation.pk])


def claim(client, user, project) -> Annotation:
    client.force_login(user)
    client.get(work_url(project))
    return Annotation.objects.filter(annotator=user, task__project=project).order_by("-id").first()


def indicator(body: str) -> str:
    """The text of the draft indicator on a rendered work screen, tags removed."""
    match = re.search(r'<span id="draft-indicator"[^>]*>(.*?)</span>', body, re.S)
    assert match, "the work screen has no draft indicator"
    return " ".join(re.sub(r"<[^>]+>", "", match.group(1)).split())


def textarea(body: str, name: str) -> str:
    """What the browser puts in the textarea: the HTML parser drops one newline right after the tag
    and turns CR LF and lone CR into LF."""
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', body, re.S)
    assert match, f"no textarea {name}"
    value = html.unescape(match.group(1))
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value[1:] if value.startswith("\n") else value


def checked(body: str) -> set[tuple[str, str]]:
    """(name, value) of every checked radio button and checkbox."""
    found = set()
    for tag in re.findall(r"<input[^>]*>", body):
        if " checked" in tag:
            name = re.search(r'name="([^"]*)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            if name and value:
                found.add((name.group(1), html.unescape(value.group(1))))
    return found


def hhmmss(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M:%S")


# --- when a draft was saved -------------------------------------------------------------------


def test_saving_a_draft_records_when_it_was_saved(annotator, make_project, client):
    project = make_project(Project.Kind.WRITE, members=[annotator])
    annotation = claim(client, annotator, project)
    assert annotation.draft_saved_at is None
    before = timezone.now()
    annotation_save_draft(annotation=annotation, result={"text": "half"})
    annotation.refresh_from_db()
    assert annotation.draft_saved_at is not None and before <= annotation.draft_saved_at <= timezone.now()
    assert annotation.result == {"text": "half"} and annotation.state == Annotation.State.DRAFT


def test_the_work_screen_says_when_the_draft_was_last_saved_on_first_render(client, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator])
    annotation = claim(client, annotator, project)
    assert indicator(client.get(work_url(project)).content.decode()) == "Not saved yet"
    saved = datetime.datetime(2026, 12, 2, 14, 3, 7, tzinfo=datetime.UTC)
    Annotation.objects.filter(pk=annotation.pk).update(result={"text": "kept"}, draft_saved_at=saved)
    body = client.get(work_url(project)).content.decode()
    assert indicator(body) == f"Draft saved {hhmmss(saved)}"
    assert textarea(body, "text") == "kept"
    # The annotation's own address shows the same.
    assert indicator(client.get(post_url(annotation)).content.decode()) == f"Draft saved {hhmmss(saved)}"


def test_ctrl_s_puts_the_saved_time_in_the_indicator(client, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator])
    annotation = claim(client, annotator, project)
    body = client.post(post_url(annotation), {"action": "draft", "text": "by hand"}, **HX).content.decode()
    annotation.refresh_from_db()
    shown = f"Draft saved {hhmmss(annotation.draft_saved_at)}"
    assert '<span id="draft-indicator"' in body and 'hx-swap-oob="true"' in body
    assert indicator(body) == shown
    assert indicator(client.get(work_url(project)).content.decode()) == shown


# --- the autosave request ---------------------------------------------------------------------


def test_autosave_answers_with_the_saved_time_and_never_submits(client, annotator, make_project):
    project = make_project(Project.Kind.COMPARE, members=[annotator])
    annotation = claim(client, annotator, project)
    response = client.post(
        post_url(annotation),
        {**AUTOSAVE, "dim-accuracy": "left", "dim-accuracy-strength": "2", "rationale": "left is exact"},
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.DRAFT
    assert annotation.result["dimensions"] == {"accuracy": {"choice": annotation.left_response, "strength": 2}}
    assert annotation.result["rationale"] == "left is exact"
    assert response.json() == {
        "saved_at": annotation.draft_saved_at.isoformat(),
        "indicator": f"Draft saved {hhmmss(annotation.draft_saved_at)}",
    }
    assert not AnnotationVersion.objects.filter(annotation=annotation).exists()
    assert Assignment.objects.get(annotator=annotator).state == Assignment.State.ACTIVE


def test_autosave_arriving_after_the_submit_changes_nothing_and_claims_nothing(client, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator], tasks=3)
    annotation = claim(client, annotator, project)
    client.post(post_url(annotation), {"text": "The final answer."}, **HX)  # submit; the next task is claimed
    claims = Assignment.objects.filter(annotator=annotator).count()
    response = client.post(post_url(annotation), {**AUTOSAVE, "text": "An older half"})
    assert response.status_code == 409
    assert response.json()["detail"] == "This annotation is already submitted."
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.SUBMITTED and annotation.result == {"text": "The final answer."}
    assert Assignment.objects.filter(annotator=annotator).count() == claims


def test_a_stale_draft_save_racing_the_submit_does_not_overwrite_the_submitted_result(annotator, make_project, client):
    project = make_project(Project.Kind.WRITE, members=[annotator])
    annotation = claim(client, annotator, project)
    stale = Annotation.objects.get(pk=annotation.pk)  # an autosave request that loaded the draft first
    annotation_submit(annotation=annotation, result={"text": "Submitted text"})
    with pytest.raises(ValidationError) as refused:
        annotation_save_draft(annotation=stale, result={"text": "older draft"})
    assert "already submitted" in str(refused.value)
    annotation.refresh_from_db()
    assert annotation.result == {"text": "Submitted text"} and annotation.state == Annotation.State.SUBMITTED


def test_autosave_of_text_that_cannot_be_stored_names_the_field_and_keeps_the_last_draft(
    client, annotator, make_project
):
    project = make_project(Project.Kind.WRITE, members=[annotator])
    annotation = claim(client, annotator, project)
    assert client.post(post_url(annotation), {**AUTOSAVE, "text": "good so far"}).status_code == 200
    response = client.post(post_url(annotation), {**AUTOSAVE, "text": "good so far\x00"})
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["detail"].startswith("Draft not saved: ") and "NUL" in body["detail"]
    assert list(body["errors"]) == ["error-text"]
    annotation.refresh_from_db()
    assert annotation.result == {"text": "good so far"} and annotation.state == Annotation.State.DRAFT


def test_work_sent_back_for_revision_autosaves_and_stays_returned(client, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator])
    annotation = claim(client, annotator, project)
    annotation_submit(annotation=annotation, result={"text": "First try"})
    Annotation.objects.filter(pk=annotation.pk).update(state=Annotation.State.RETURNED)
    assert indicator(client.get(post_url(annotation)).content.decode()) == "Revision not saved yet"
    response = client.post(post_url(annotation), {**AUTOSAVE, "text": "Second try, half done"})
    assert response.status_code == 200
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.RETURNED and annotation.result == {"text": "Second try, half done"}
    assert indicator(client.get(post_url(annotation)).content.decode()).startswith("Draft saved ")


def test_autosave_of_someone_elses_annotation_is_404(client, annotator, other_annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator, other_annotator])
    annotation = claim(client, annotator, project)
    client.force_login(other_annotator)
    assert client.post(post_url(annotation), {**AUTOSAVE, "text": "not mine"}).status_code == 404
    annotation.refresh_from_db()
    assert annotation.result == {} and annotation.draft_saved_at is None


# --- what was saved is what the next visit shows ------------------------------------------------

# Text a browser can send: anything but lone surrogates (hypothesis never makes those) and NUL.
typed = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=60)


@pytest.mark.django_db
@PROPERTY
@given(text=typed)
def test_any_autosaved_text_comes_back_on_the_next_visit(client, annotator, make_project, text):
    project = Project.objects.filter(slug="prop-write").first() or make_project(
        Project.Kind.WRITE, members=[annotator], slug="prop-write"
    )
    annotation = claim(client, annotator, project)
    assert client.post(post_url(annotation), {**AUTOSAVE, "text": text}).status_code == 200
    body = client.get(work_url(project)).content.decode()
    assert textarea(body, "text") == text.replace("\r\n", "\n").replace("\r", "\n")


preference = st.sampled_from(["", "left", "right", "tie"])
strength = st.sampled_from(["", "1", "2", "3"])


@pytest.mark.django_db
@PROPERTY
@given(
    rows=st.fixed_dictionaries(
        {name: st.tuples(preference, strength) for name in ("dim-accuracy", "dim-helpfulness", "overall")}
    ),
    rationale=typed,
)
def test_any_autosaved_comparison_comes_back_on_the_next_visit(client, annotator, make_project, rows, rationale):
    project = Project.objects.filter(slug="prop-compare").first() or make_project(
        Project.Kind.COMPARE, members=[annotator], slug="prop-compare"
    )
    annotation = claim(client, annotator, project)
    data = {**AUTOSAVE, "rationale": rationale}
    expected = set()
    for name, (choice, power) in rows.items():
        if choice:
            data[name] = choice
            expected.add((name, choice))
        if power:
            data[f"{name}-strength"] = power
            if choice in ("left", "right"):  # a tie has no strength; a strength alone is no answer yet
                expected.add((f"{name}-strength", power))
    assert client.post(post_url(annotation), data).status_code == 200
    body = client.get(work_url(project)).content.decode()
    assert checked(body) == expected
    assert textarea(body, "rationale") == rationale.replace("\r\n", "\n").replace("\r", "\n")


@pytest.mark.django_db
@PROPERTY
@given(chosen=st.sets(st.sampled_from(["positive", "negative", "neutral"])), text=typed)
def test_any_autosaved_set_of_labels_comes_back_on_the_next_visit(client, annotator, make_project, chosen, text):
    project = Project.objects.filter(slug="prop-multi").first() or make_project(
        Project.Kind.CLASSIFY, members=[annotator], slug="prop-multi", multi_label=True
    )
    annotation = claim(client, annotator, project)
    assert client.post(post_url(annotation), {**AUTOSAVE, "labels": sorted(chosen), "text": text}).status_code == 200
    body = client.get(work_url(project)).content.decode()
    assert checked(body) == {("labels", label) for label in chosen}
    assert textarea(body, "text") == text.replace("\r\n", "\n").replace("\r", "\n")

"""`seed_demo` on an empty database: demo projects with a history made through the real services, so
the quality screens show something on first look, while the demo logins still have fresh work.

transactional_db: the history commits step by step, so each submit's hooks (signals, flags) run
after their commit as behind the live screens."""

import re
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse

from annotations.models import Adjudication, Annotation, AnnotationVersion, Project, Review
from annotations.services.routing import assignment_next
from telemetry.models import AnnotationSignals
from workstation import demo

pytestmark = pytest.mark.django_db(transaction=True)

SLUGS = {Project.Kind.WRITE: "demo-writing", Project.Kind.CLASSIFY: "demo-sentiment", Project.Kind.COMPARE: "demo-rlhf"}


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def user(name: str):
    return get_user_model().objects.get(username=name)


def row_counts() -> dict[str, int]:
    models = [
        m for label in ("auth", "annotations", "telemetry", "quality") for m in apps.get_app_config(label).get_models()
    ]
    return {m._meta.label: m.objects.count() for m in models}


def test_every_demo_project_has_reviewed_work_with_telemetry_a_revision_and_an_adjudication():
    output = seed()
    assert "ann1   / scriptorium-demo" in output and "rev1   / scriptorium-demo" in output
    for name in (*demo.SIM_ANNOTATORS, demo.SIM_REVIEWER):
        assert not user(name).has_usable_password()

    for kind, slug in SLUGS.items():
        project = Project.objects.get(slug=slug)
        assert project.kind == kind
        work = Annotation.objects.filter(task__project=project, annotator__username__in=demo.SIM_ANNOTATORS)
        submitted = work.filter(state=Annotation.State.SUBMITTED)
        # Every simulated annotator handed in work here, each piece with telemetry and computed signals.
        assert set(submitted.values_list("annotator__username", flat=True)) == set(demo.SIM_ANNOTATORS), slug
        signals = AnnotationSignals.objects.filter(annotation__in=submitted)
        assert signals.count() == submitted.count(), slug
        assert all(s.event_count > 0 and s.features.get("key_count", 0) > 0 for s in signals), slug

        reviews = Review.objects.filter(annotation__task__project=project)
        assert reviews.filter(verdict=Review.Verdict.REJECT).exists(), slug
        assert set(reviews.values_list("reviewer__username", flat=True)) == {"rev1", demo.SIM_REVIEWER}, slug
        doubles = (
            reviews.values("annotation_id", "annotation_version")
            .annotate(n=Count("reviewer", distinct=True))
            .filter(n__gte=2)
        )
        assert doubles.exists(), slug

        revised = work.filter(version=2).get()
        assert revised.state == Annotation.State.SUBMITTED
        assert list(AnnotationVersion.objects.filter(annotation=revised).values_list("number", flat=True)) == [1, 2]
        assert revised.reviews.filter(annotation_version=1, verdict=Review.Verdict.REVISE).exists()
        assert revised.reviews.filter(annotation_version=2).exists()
        assert revised.editor_sessions.count() == 2  # the revision was written in a new page load

        assert Adjudication.objects.filter(task__project=project).count() == 1, slug
        # Spread over the past days, so charts over time have a course.
        days = {a.submitted_at.date() for a in submitted}
        assert len(days) >= 3, slug

    writing = AnnotationSignals.objects.filter(annotation__task__project__slug=SLUGS[Project.Kind.WRITE])
    fired = {f["flag"] for s in writing for f in s.flags}
    assert {"paste_dominant", "silent_insertion"} <= fired
    composer = writing.filter(annotation__annotator__username="sim-composer")
    assert composer.exists() and all(not s.flags for s in composer)

    # ann1 has a reviewed past with feedback; ann1, ann2 and ann3 still get fresh tasks everywhere.
    assert Review.objects.filter(annotation__annotator__username="ann1").exclude(feedback="").count() == 1
    for slug in SLUGS.values():
        project = Project.objects.get(slug=slug)
        for name in ("ann1", "ann2", "ann3"):
            person = user(name)
            assignment = assignment_next(project=project, user=person)
            assert assignment is not None, (slug, name)
            assert not Annotation.objects.filter(task=assignment.task, annotator=person).exists()


def test_running_it_twice_changes_nothing():
    seed()
    before = row_counts()
    output = seed()
    assert "already present" in output
    assert row_counts() == before


def test_the_quality_screens_show_the_history(client):
    seed()
    rev1, admin, ann1 = user("rev1"), user("admin"), user("ann1")
    writing = Project.objects.get(slug=SLUGS[Project.Kind.WRITE])

    client.force_login(rev1)
    waiting = Annotation.objects.filter(
        task__project=writing, state=Annotation.State.SUBMITTED, reviews__isnull=True
    ).first()
    assert waiting is not None
    queue = client.get(reverse("annotations:review_queue"), {"project": writing.pk})
    assert queue.status_code == 200
    assert reverse("annotations:review_annotation", args=[waiting.pk]) in queue.content.decode()

    for slug in SLUGS.values():
        project = Project.objects.get(slug=slug)
        page = client.get(reverse("annotations:adjudicate_list"), {"project": project.pk})
        assert page.status_code == 200
        html = page.content.decode()
        recorded = Adjudication.objects.get(task__project=project)
        assert recorded.reasoning.split(";")[0] in html.replace("&#x27;", "'"), slug
        # at least one disagreement still open
        assert re.search(r'href="/adjudicate/\d+/\?source=', html), slug

    client.force_login(admin)
    calibration = client.get(reverse("annotations:review_calibration"), {"project": writing.pk})
    assert calibration.status_code == 200
    row = re.search(r'data-testid="alpha-accuracy".*?</tr>', calibration.content.decode(), re.S)
    assert row and re.search(r"<strong>-?\d\.\d{3}</strong>", row.group(0))
    assert 'data-testid="drift-sim-reviewer"' in calibration.content.decode()

    client.force_login(ann1)
    feedback = client.get(reverse("annotations:feedback"))
    assert feedback.status_code == 200
    assert "quote the words that decide it" in feedback.content.decode()

    rlhf = Project.objects.get(slug="demo-rlhf")
    exports = client.get(reverse("annotations:project_exports", args=[rlhf.pk]))
    assert exports.status_code == 404  # ann1 is no admin of it
    client.force_login(admin)
    page = client.get(reverse("annotations:project_exports", args=[rlhf.pk])).content.decode()
    assert 'data-testid="export-left-out"' in page and "reward_model_pairwise_accuracy" in page

    writing_screen = client.get(reverse("annotations:work", args=[writing.pk]))  # admin annotates nowhere
    assert writing_screen.status_code == 404
    client.force_login(ann1)
    assert "aim for 80-200" in client.get(reverse("annotations:work", args=[writing.pk])).content.decode()

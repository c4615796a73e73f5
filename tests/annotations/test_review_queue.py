"""The review queue: counts of what is waiting, sorting by column, flag names in words, and the flag and
domain filters applied in SQL (a rare flag is found anywhere in a long queue)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from annotations import hooks, roles
from annotations.models import Annotation, Task
from annotations.selectors_review import (
    QueueFilterRefused,
    queue_filters,
    review_queue,
    review_queue_counts,
)
from annotations.services.review import review_create
from telemetry.models import AnnotationSignals
from tests.annotations.review_helpers import GOOD, rubric_add, submitted
from tests.conftest import join

PASTE = {"flag": "paste_dominant", "label": "Paste-dominant", "values": {"pasted_fraction": 0.9}}


def _long_queue(project, annotator, n: int) -> list[Annotation]:
    """n submitted annotations, oldest first, made in bulk (the queue reads rows, not how they came)."""
    tasks = Task.objects.bulk_create(
        Task(project=project, payload={"prompt": f"Bulk {i}"}, external_id=f"bulk{i}", domain_tags=[]) for i in range(n)
    )
    start = timezone.now() - timedelta(days=30)
    return Annotation.objects.bulk_create(
        Annotation(
            task=task,
            annotator=annotator,
            result={"text": f"Answer {i}"},
            state=Annotation.State.SUBMITTED,
            submitted_at=start + timedelta(minutes=i),
            guideline_version=project.current_guideline(),
        )
        for i, task in enumerate(tasks)
    )


@pytest.fixture
def world(make_project, annotator, reviewer):
    project = make_project(members=[annotator, reviewer], tasks=3, double_review_rate=0.0, slug="essays")
    rubric_add(project)
    return project


def test_a_rare_flag_at_row_500_of_600_is_found_by_the_filter(world, annotator, reviewer):
    world.tasks.all().delete()
    rows = _long_queue(world, annotator, 600)
    rare = rows[499]
    AnnotationSignals.objects.create(annotation=rare, flags=[PASTE])
    AnnotationSignals.objects.create(
        annotation=rows[10], flags=[{"flag": "silent_insertion", "label": "Silent insertion"}]
    )

    found = review_queue(user=reviewer, flag="paste_dominant")
    assert [a.pk for a in found] == [rare.pk]
    assert found[0].evidence_flags[0]["label"] == "Paste-dominant"
    # A short page of the queue still finds it: the filter runs before the slice, not over a window.
    assert [a.pk for a in review_queue(user=reviewer, flag="paste_dominant", limit=20)] == [rare.pk]
    assert review_queue_counts(user=reviewer, flag="paste_dominant")["total"] == 1
    assert review_queue_counts(user=reviewer)["total"] == 600


def test_domain_filter_finds_a_rare_domain_anywhere(world, annotator, reviewer):
    rows = _long_queue(world, annotator, 300)
    Task.objects.filter(pk=rows[280].task_id).update(domain_tags=["law", "tax"])
    Task.objects.filter(pk=rows[3].task_id).update(domain_tags=["lawn care"])
    assert [a.pk for a in review_queue(user=reviewer, domain="law")] == [rows[280].pk]
    assert [a.pk for a in review_queue(user=reviewer, domain="law", limit=20)] == [rows[280].pk]  # before the slice
    assert review_queue_counts(user=reviewer, domain="tax")["total"] == 1


def test_flag_filter_is_refused_without_telemetry(world, annotator, reviewer, hook_override):
    submitted(world, annotator)
    for name in (hooks.EVIDENCE_FLAG_NAMES, hooks.ANNOTATIONS_WITH_FLAG):
        hook_override(name)
    filters, errors = queue_filters({"flag": "paste_dominant"})
    assert "flag" not in filters
    assert "telemetry" in errors["flag"]
    with pytest.raises(QueueFilterRefused):
        review_queue(user=reviewer, flag="paste_dominant")


def test_flag_filter_takes_known_flags_only(db):
    assert queue_filters({"flag": "paste_dominant"}) == ({"flag": "paste_dominant"}, {})
    assert queue_filters({"flag": "Paste-dominant"}) == ({"flag": "paste_dominant"}, {})
    filters, errors = queue_filters({"flag": "pasted"})
    assert filters == {}
    assert "Paste-dominant" in errors["flag"]


def test_queue_page_counts_per_project_and_for_the_filter(client, make_project, annotator, other_annotator, reviewer):
    essays = make_project(members=[annotator, other_annotator, reviewer], tasks=3, slug="essays")
    labels = make_project(members=[annotator, reviewer], tasks=2, slug="labels")
    for a in (annotator, other_annotator):
        submitted(essays, a)
    submitted(labels, annotator)
    client.force_login(reviewer)
    page = client.get("/review/").content.decode()
    assert '<strong data-testid="queue-total-count">3</strong> annotations waiting' in page
    assert "Essays (2 waiting)" in page
    assert "Labels (1 waiting)" in page
    filtered = client.get(f"/review/?project={labels.pk}").content.decode()
    assert (
        '<strong data-testid="queue-total-count">1</strong> annotation waiting for your review with these filters'
        in (filtered)
    )
    assert "Essays (2 waiting)" in filtered  # the project filter's own counts ignore the chosen project

    home = client.get("/").content.decode()
    assert 'data-testid="reviewer-waiting-essays">2<' in home
    assert 'data-testid="reviewer-waiting-labels">1<' in home
    assert 'data-testid="reviewer-waiting-total">3<' in home


def test_queue_sorts_by_column_and_keeps_the_filters(client, world, annotator, other_annotator, reviewer, make_user):
    join(world, other_annotator)
    second = make_user("rev2", roles.REVIEWER)
    join(world, second)
    first = submitted(world, annotator)
    later = submitted(world, other_annotator, reviews_wanted=2)
    review_create(annotation=later, reviewer=second, scores=GOOD, verdict="accept")
    AnnotationSignals.objects.create(annotation=first, flags=[PASTE, {"flag": "synthetic_input"}])

    def order(sort: str) -> list[int]:
        return [a.pk for a in review_queue(user=reviewer, sort=sort)]

    assert order("submitted") == [first.pk, later.pk]
    assert order("-submitted") == [later.pk, first.pk]
    assert order("reviews") == [first.pk, later.pk]
    assert order("-reviews") == [later.pk, first.pk]
    assert order("-flags") == [first.pk, later.pk]
    assert order("flags") == [later.pk, first.pk]
    assert order("annotator") == [first.pk, later.pk]  # ann1 before ann2
    assert order("-annotator") == [later.pk, first.pk]

    client.force_login(reviewer)
    page = client.get(f"/review/?project={world.pk}&sort=-flags").content.decode()
    assert 'aria-sort="descending"' in page
    assert f'href="?project={world.pk}&amp;sort=flags"' in page  # the next click reverses, filters kept
    assert f'href="?project={world.pk}&amp;sort=submitted"' in page
    assert "Annotation version" in page and "Guideline version" in page
    assert ">Paste-dominant<" in page and ">Synthetic input<" in page
    assert "paste_dominant</span>" not in page
    options = page.split('data-testid="flag-filter"')[1].split("</select>")[0]
    assert '<option value="paste_dominant">Paste-dominant</option>' in options


def test_bad_sort_and_blind_annotator_sort_are_refused_beside_the_filter(client, world, annotator, reviewer):
    submitted(world, annotator)
    client.force_login(reviewer)
    page = client.get("/review/?sort=colour").content.decode()
    assert 'data-field="sort"' in page and "Sort must be one of" in page
    world.blind_review = True
    world.save(update_fields=["blind_review"])
    page = client.get("/review/?sort=annotator").content.decode()
    assert "blind review hides who wrote the work" in page
    assert 'data-testid="sort-annotator"' not in page
    assert client.get("/api/reviews/queue/?sort=annotator").status_code == 400


def test_reviewers_see_the_calibration_of_the_projects_they_review(
    client, make_project, annotator, reviewer, make_user, project_admin
):
    mine = make_project(members=[annotator, reviewer, project_admin], slug="essays")
    other = make_project(members=[make_user("rev9", roles.REVIEWER)], slug="secret")
    client.force_login(reviewer)
    response = client.get("/review/calibration/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Agreement per dimension" in page and mine.name in page
    assert other.name not in page
    assert other.name not in client.get(f"/review/calibration/?project={other.pk}").content.decode()
    assert 'href="/review/calibration/"' in client.get("/review/").content.decode()
    assert 'href="/review/calibration/"' in client.get("/").content.decode()

    client.force_login(project_admin)
    assert mine.name in client.get("/review/calibration/").content.decode()
    client.force_login(annotator)
    assert client.get("/review/calibration/").status_code == 403


def test_the_api_queue_sorts_and_filters_by_flag_like_the_screen(client, world, annotator, other_annotator, reviewer):
    join(world, other_annotator)
    first = submitted(world, annotator)
    later = submitted(world, other_annotator)
    AnnotationSignals.objects.update_or_create(annotation=first, defaults={"flags": [PASTE]})
    client.force_login(reviewer)
    assert [row["id"] for row in client.get("/api/reviews/queue/?sort=-submitted").json()] == [later.pk, first.pk]
    flagged = client.get("/api/reviews/queue/?flag=paste_dominant").json()
    assert [(row["id"], row["flags"]) for row in flagged] == [(first.pk, ["paste_dominant"])]
    assert "sort" in client.get("/api/reviews/queue/?sort=colour").json()["errors"]

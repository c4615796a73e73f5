"""Routing v1: overlap k, no repeats, expiry, priority, resume, and concurrent claimers."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from annotations import hooks
from annotations.models import Assignment, Task
from annotations.services.routing import assignment_next, assignments_expire
from annotations.services.work import annotation_start, annotation_submit, assignment_skip


def _submit(assignment: Assignment) -> None:
    annotation = annotation_start(assignment=assignment)
    annotation_submit(annotation=annotation, result={"text": f"answer by {assignment.annotator_id}"})


def test_each_task_gets_k_distinct_annotators_and_no_more(make_project, make_user):
    people = [make_user(f"a{i}") for i in range(4)]
    project = make_project(members=people, tasks=1, overlap=3)
    task = project.tasks.get()
    claims = [assignment_next(project=project, user=p) for p in people]
    assert [c.task_id if c else None for c in claims] == [task.pk, task.pk, task.pk, None]
    assert len({c.annotator_id for c in claims[:3]}) == 3
    task.refresh_from_db()
    assert (task.slots_taken, task.is_full) == (3, True)


def test_an_annotator_never_gets_the_same_task_twice(make_project, annotator):
    project = make_project(members=[annotator], tasks=2, overlap=2)
    first = assignment_next(project=project, user=annotator)
    _submit(first)
    second = assignment_next(project=project, user=annotator)
    assert second.task_id != first.task_id
    _submit(second)
    assert assignment_next(project=project, user=annotator) is None


def test_a_skipped_task_is_not_offered_again_but_its_slot_returns(make_project, annotator, other_annotator):
    project = make_project(members=[annotator, other_annotator], tasks=1, overlap=1)
    claim = assignment_next(project=project, user=annotator)
    assignment_skip(assignment=claim, reason="Outside my expertise")
    assert assignment_next(project=project, user=annotator) is None
    theirs = assignment_next(project=project, user=other_annotator)
    assert theirs.task_id == claim.task_id


def test_an_expired_claim_gives_its_slot_back_and_is_not_offered_to_the_same_person(
    make_project, annotator, other_annotator
):
    project = make_project(members=[annotator, other_annotator], tasks=1, overlap=1, assignment_ttl_minutes=30)
    claim = assignment_next(project=project, user=annotator)
    assert assignment_next(project=project, user=other_annotator) is None  # the only slot is taken

    later = timezone.now() + dt.timedelta(minutes=31)
    theirs = assignment_next(project=project, user=other_annotator, now=later)
    assert theirs is not None and theirs.task_id == claim.task_id
    claim.refresh_from_db()
    assert claim.state == Assignment.State.EXPIRED
    # Back in time for the first person: their own claim is gone and the task is not offered again.
    assert assignment_next(project=project, user=annotator, now=later) is None


def test_expiry_counts_each_claim_once(make_project, annotator):
    project = make_project(members=[annotator], tasks=1, overlap=1, assignment_ttl_minutes=1)
    assignment_next(project=project, user=annotator)
    later = timezone.now() + dt.timedelta(minutes=5)
    assert assignments_expire(project=project, now=later) == 1
    assert assignments_expire(project=project, now=later) == 0
    task = project.tasks.get()
    assert (task.slots_taken, task.is_full) == (0, False)


def test_a_submitted_claim_is_never_expired(make_project, annotator):
    project = make_project(members=[annotator], tasks=1, overlap=1, assignment_ttl_minutes=1)
    claim = assignment_next(project=project, user=annotator)
    _submit(claim)
    assert assignments_expire(project=project, now=timezone.now() + dt.timedelta(hours=1)) == 0
    task = project.tasks.get()
    assert (task.slots_taken, task.is_full) == (1, True)


def test_most_uncertain_tasks_come_first_and_the_reason_is_recorded(make_project, annotator):
    project = make_project(members=[annotator], tasks=3, overlap=1)
    low, high, mid = project.tasks.order_by("id")
    Task.objects.filter(pk=low.pk).update(model_uncertainty=0.1)
    Task.objects.filter(pk=high.pk).update(model_uncertainty=0.9)
    Task.objects.filter(pk=mid.pk).update(model_uncertainty=0.5)
    order = []
    while (claim := assignment_next(project=project, user=annotator)) is not None:
        order.append(claim.task_id)
        assert "not done by you before" in claim.routed_because
        if claim.task_id == high.pk:
            assert "model uncertainty 0.90" in claim.routed_because
        _submit(claim)
    assert order == [high.pk, mid.pk, low.pk]
    stored = Assignment.objects.get(task=high, annotator=annotator)
    assert stored.routed_because.startswith("open task with 0/1 annotators")


def test_an_active_claim_is_resumed_not_doubled(make_project, annotator):
    project = make_project(members=[annotator], tasks=3, overlap=1)
    first = assignment_next(project=project, user=annotator)
    again = assignment_next(project=project, user=annotator)
    assert again.pk == first.pk
    assert Assignment.objects.filter(annotator=annotator).count() == 1


def test_a_policy_choosing_outside_the_candidates_is_ignored(make_project, annotator, hook_override):
    project = make_project(members=[annotator], tasks=2, overlap=1)
    other_task = Task.objects.create(project=make_project(slug="elsewhere", tasks=0), payload={"prompt": "x"})

    def rogue(*, project, user, candidates):
        return other_task, "rogue"

    hook_override(hooks.NEXT_TASK_POLICY, rogue)
    claim = assignment_next(project=project, user=annotator)
    assert claim.task.project_id == project.pk
    assert claim.routed_because != "rogue"


@pytest.mark.django_db(transaction=True)
def test_concurrent_claimers_never_push_a_task_past_k(make_project, make_user):
    """Eight annotators claim and submit at once, each on its own database connection."""
    people = [make_user(f"c{i}") for i in range(8)]
    project = make_project(members=people, tasks=6, overlap=3)
    start = threading.Barrier(len(people))
    failures: list[BaseException] = []

    def work(user):
        try:
            start.wait()
            while (claim := assignment_next(project=project, user=user)) is not None:
                _submit(claim)
        except BaseException as exc:  # reported in the test thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    for task in Task.objects.filter(project=project):
        done = list(task.assignments.filter(state=Assignment.State.SUBMITTED).values_list("annotator_id", flat=True))
        assert len(done) == 3, f"task {task.pk} has {len(done)} submissions"
        assert len(set(done)) == 3
        assert (task.slots_taken, task.is_full) == (3, True)
    assert Assignment.objects.filter(task__project=project).count() == 18


def test_the_claim_query_walks_the_routing_index(make_project, annotator):
    """'NOT is_full' kept SQLite off the routing index: it sorted every task of the project per claim."""
    from django.test.utils import CaptureQueriesContext

    project = make_project(members=[annotator], tasks=3)
    with CaptureQueriesContext(connection) as ctx:
        assignment_next(project=project, user=annotator)
    [claim_sql] = [
        q["sql"] for q in ctx.captured_queries if 'FROM "annotations_task"' in q["sql"] and "ORDER BY" in q["sql"]
    ]
    assert '"annotations_task"."is_full" = ' in claim_sql
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + claim_sql.replace("%s", "?"))
            plan = " ".join(str(row) for row in cursor.fetchall())
        assert "task_routing_idx" in plan and "TEMP B-TREE" not in plan

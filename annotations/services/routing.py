"""Routing v1 behind one call, `assignment_next`: overlap k distinct annotators per task, never
the same task twice to one person, expiring claims, and concurrency-safe claiming.

Order of what the caller is handed: the task they hold a claim on; else their oldest work sent back
for revision in this project (returned work comes before new tasks); else a newly claimed task. A
returned annotation is handed back through its own (submitted) assignment, marked with
`assignment.returned` (the Annotation; None on every other answer).

Later policies plug in through the "next_task_policy" hook; the call stays the same.
"""

import datetime as dt

from django.db import connection, transaction
from django.db.models import Case, Exists, F, OuterRef, Value, When
from django.utils import timezone

from annotations import hooks
from annotations.models import Annotation, Assignment, Project, Task

CANDIDATES = 20  # how many open tasks a policy may choose among
RETURNED_REASON = "sent back for revision: returned work comes before new tasks"


def _free_slot(*, task_id: int) -> None:
    Task.objects.filter(pk=task_id, slots_taken__gt=0).update(slots_taken=F("slots_taken") - 1, is_full=False)


def assignments_expire(*, project: Project, now: dt.datetime | None = None) -> int:
    """Free the slots of claims that ran out; returns how many expired.

    Each claim is ended by a conditional update (still active, still past its time), so a
    submission or skip that lands at the same moment is never overwritten and its slot is
    never given back twice."""
    now = now or timezone.now()
    stale = list(
        Assignment.objects.filter(task__project=project, state=Assignment.State.ACTIVE, expires_at__lt=now).values_list(
            "id", "task_id"
        )
    )
    expired = 0
    for assignment_id, task_id in stale:
        with transaction.atomic():
            ended = Assignment.objects.filter(
                pk=assignment_id, state=Assignment.State.ACTIVE, expires_at__lt=now
            ).update(state=Assignment.State.EXPIRED)
            if ended:
                _free_slot(task_id=task_id)
                expired += ended
    return expired


def _active_assignment(*, project: Project, user, now: dt.datetime) -> Assignment | None:
    return (
        Assignment.objects.filter(
            annotator=user, state=Assignment.State.ACTIVE, task__project=project, expires_at__gte=now
        )
        .select_related("task")
        .order_by("claimed_at", "id")
        .first()
    )


def returned_oldest(*, project: Project, user) -> Annotation | None:
    """The caller's oldest annotation in this project sent back for revision (the order of the work
    screen's "sent back" list: by when it was handed in), or None."""
    return (
        Annotation.objects.filter(annotator=user, task__project=project, state=Annotation.State.RETURNED)
        .select_related("assignment__task", "task")
        .order_by("submitted_at", "id")
        .first()
    )


def _returned_assignment(*, annotation: Annotation, now: dt.datetime) -> Assignment:
    """The assignment a returned annotation is revised under; work made outside routing (admin,
    imports of finished work) gets a submitted one, so it is served the same way."""
    assignment = annotation.assignment
    if assignment is None:
        assignment, _ = Assignment.objects.get_or_create(
            task=annotation.task,
            annotator_id=annotation.annotator_id,
            defaults={"state": Assignment.State.SUBMITTED, "expires_at": now, "routed_because": RETURNED_REASON},
        )
        Annotation.objects.filter(pk=annotation.pk, assignment__isnull=True).update(assignment=assignment)
    assignment.returned = annotation
    return assignment


def assignment_next(*, project: Project, user, now: dt.datetime | None = None) -> Assignment | None:
    """The caller's current task in this project, else their oldest returned work, else a newly
    claimed task; None when nothing is left."""
    now = now or timezone.now()
    current = _active_assignment(project=project, user=user, now=now)
    if current is not None:
        current.returned = None
        return current
    returned = returned_oldest(project=project, user=user)
    if returned is not None:
        return _returned_assignment(annotation=returned, now=now)
    assignments_expire(project=project, now=now)
    with transaction.atomic():
        # A correlated NOT EXISTS probes the (task, annotator) unique index once per candidate,
        # so the cost does not grow with how much the caller has already done.
        done_before = Assignment.objects.filter(task=OuterRef("pk"), annotator=user)
        open_tasks = (
            # Value(False) renders "is_full = false"; a bare False renders "NOT is_full", which SQLite
            # cannot match to the routing index, so it would sort every task of the project.
            Task.objects.filter(project=project, is_full=Value(False))
            .filter(~Exists(done_before))
            .order_by("-model_uncertainty", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            # PostgreSQL: concurrent claimers skip each other's rows instead of queueing; a row
            # another claimer filled meanwhile is re-checked against is_full=False once locked.
            candidates = list(open_tasks.select_for_update(skip_locked=True, of=("self",))[:CANDIDATES])
            if not candidates:
                # Every open task is held by another claimer right now, which is not the same as
                # none left: wait for those claims to commit, then take what is still open.
                candidates = list(open_tasks.select_for_update(of=("self",))[:CANDIDATES])
        else:
            # SQLite runs this in an IMMEDIATE transaction, so claims are serialised.
            candidates = list(open_tasks[:CANDIDATES])
        if not candidates:
            return None
        chosen = hooks.call_first(hooks.NEXT_TASK_POLICY, project=project, user=user, candidates=candidates)
        if chosen is not None and chosen[0] in candidates:
            task, reason = chosen
        else:  # no policy, or one that chose outside the locked candidates
            task, reason = candidates[0], _default_reason(project=project, task=candidates[0])
        # Computed in SQL from the stored count, never from the value read into Python.
        Task.objects.filter(pk=task.pk).update(
            slots_taken=F("slots_taken") + 1,
            is_full=Case(When(slots_taken__gte=project.overlap - 1, then=Value(True)), default=Value(False)),
        )
        claimed = Assignment.objects.create(
            task=task,
            annotator=user,
            expires_at=now + dt.timedelta(minutes=project.assignment_ttl_minutes),
            routed_because=reason,
        )
        claimed.returned = None
        return claimed


def _default_reason(*, project: Project, task: Task) -> str:
    parts = [f"open task with {task.slots_taken}/{project.overlap} annotators"]
    if task.model_uncertainty:
        parts.append(f"model uncertainty {task.model_uncertainty:.2f} (highest first)")
    parts.append("not done by you before")
    return "; ".join(parts)


def assignment_release(*, assignment: Assignment, state: str) -> None:
    """End a claim without a submission (skip/expire): the slot goes back to the pool."""
    with transaction.atomic():
        updated = Assignment.objects.filter(pk=assignment.pk, state=Assignment.State.ACTIVE).update(state=state)
        if updated:
            _free_slot(task_id=assignment.task_id)
    assignment.state = state

"""Routing v1 behind one call, `assignment_next`: overlap k distinct annotators per task, never
the same task twice to one person, expiring claims, and concurrency-safe claiming.

Later policies plug in through the "next_task_policy" hook; the call stays the same.
"""

import datetime as dt

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from annotations import hooks
from annotations.models import Assignment, Project, Task

CANDIDATES = 20  # how many open tasks a policy may choose among


def assignments_expire(*, project: Project, now: dt.datetime | None = None) -> int:
    """Free the slots of claims that ran out; returns how many expired."""
    now = now or timezone.now()
    with transaction.atomic():
        stale = list(
            Assignment.objects.filter(
                task__project=project, state=Assignment.State.ACTIVE, expires_at__lt=now
            ).values_list("id", "task_id")
        )
        if not stale:
            return 0
        Assignment.objects.filter(id__in=[a for a, _ in stale]).update(state=Assignment.State.EXPIRED)
        for _, task_id in stale:
            Task.objects.filter(pk=task_id, slots_taken__gt=0).update(slots_taken=F("slots_taken") - 1, is_full=False)
    return len(stale)


def _active_assignment(*, project: Project, user, now: dt.datetime) -> Assignment | None:
    return (
        Assignment.objects.filter(
            annotator=user, state=Assignment.State.ACTIVE, task__project=project, expires_at__gte=now
        )
        .select_related("task")
        .order_by("claimed_at")
        .first()
    )


def assignment_next(*, project: Project, user, now: dt.datetime | None = None) -> Assignment | None:
    """The caller's current task in this project, or a newly claimed one; None when nothing is left."""
    now = now or timezone.now()
    current = _active_assignment(project=project, user=user, now=now)
    if current is not None:
        return current
    assignments_expire(project=project, now=now)
    with transaction.atomic():
        candidates = Task.objects.filter(project=project, is_full=False).exclude(assignments__annotator=user)
        if connection.features.has_select_for_update_skip_locked:
            # PostgreSQL: concurrent claimers skip each other's rows instead of queueing.
            # (SQLite runs this in an IMMEDIATE transaction, so claims are serialised.)
            candidates = candidates.select_for_update(skip_locked=True, of=("self",))
        candidates = list(candidates.order_by("-model_uncertainty", "id")[:CANDIDATES])
        if not candidates:
            return None
        chosen = hooks.call_first("next_task_policy", project=project, user=user, candidates=candidates)
        task, reason = chosen or (candidates[0], _default_reason(project=project, task=candidates[0]))
        taken = task.slots_taken + 1
        Task.objects.filter(pk=task.pk).update(slots_taken=taken, is_full=taken >= project.overlap)
        return Assignment.objects.create(
            task=task,
            annotator=user,
            expires_at=now + dt.timedelta(minutes=project.assignment_ttl_minutes),
            routed_because=reason,
        )


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
            Task.objects.filter(pk=assignment.task_id, slots_taken__gt=0).update(
                slots_taken=F("slots_taken") - 1, is_full=False
            )
    assignment.state = state

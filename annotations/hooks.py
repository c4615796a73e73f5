"""Extension points that higher layers (telemetry, quality) fill in from their AppConfig.ready.

`annotations` never imports them; it asks here, and gets the neutral answer when nobody
registered. This keeps the import arrow pointing down (docs/architecture.md).

Every hook has one name, defined once below; register and the callers refuse any other name, so a
misspelt name fails loudly instead of silently finding nobody. Events (names ending in a past
participle) are fired with `on_commit`, after the change they announce is committed.
"""

from collections.abc import Callable
from typing import Any

from django.db import transaction

# Questions: (arguments) -> answer.
EDITOR_SESSION = "editor_session"  # (annotation, user) -> {"url", "salt"} | None   telemetry socket for the form
EXPORT_PROVENANCE = "export_provenance"  # (annotations: list) -> {annotation_id: dict}   extra provenance per row
REVIEW_EVIDENCE = "review_evidence"  # (annotation) -> dict   signals, flags, replay for reviewers
NEXT_TASK_POLICY = "next_task_policy"  # (project, user, candidates) -> (task, reason) | None   routing policy
REVIEW_QUEUE_ORDER = "review_queue_order"  # (annotations: QuerySet, user) -> QuerySet | None   queue order
REVIEWER_CALIBRATION = "reviewer_calibration"  # (project) -> dict   reviewer agreement and drift
EVIDENCE_FLAG_NAMES = "evidence_flag_names"  # () -> {flag code: name in words}   flags the queue filters on
ANNOTATIONS_WITH_FLAG = "annotations_with_flag"  # (flag) -> QuerySet of annotation ids   the queue's flag filter
ANNOTATION_FLAG_COUNT = "annotation_flag_count"  # () -> expression over OuterRef("pk")   flags per annotation

# Events, fired after commit by the service that made the change: (arguments) -> None.
ANNOTATION_SUBMITTED = "annotation_submitted"  # (annotation, final_seq)   annotation_submit
REVIEW_CREATED = "review_created"  # (review)   review_create
ADJUDICATED = "adjudicated"  # (adjudication)   adjudication_create
GUIDELINE_PUBLISHED = "guideline_published"  # (guideline_version)   guideline_publish
OUTCOME_REPORTED = "outcome_reported"  # (outcome)   outcome_report_create

KNOWN: frozenset[str] = frozenset(
    {
        EDITOR_SESSION,
        EXPORT_PROVENANCE,
        REVIEW_EVIDENCE,
        NEXT_TASK_POLICY,
        REVIEW_QUEUE_ORDER,
        REVIEWER_CALIBRATION,
        EVIDENCE_FLAG_NAMES,
        ANNOTATIONS_WITH_FLAG,
        ANNOTATION_FLAG_COUNT,
        ANNOTATION_SUBMITTED,
        REVIEW_CREATED,
        ADJUDICATED,
        GUIDELINE_PUBLISHED,
        OUTCOME_REPORTED,
    }
)

_registry: dict[str, list[Callable[..., Any]]] = {}


def known(name: str) -> str:
    """The name itself when it is a hook; otherwise a ValueError naming it and the known ones."""
    if name not in KNOWN:
        raise ValueError(f"Unknown hook {name!r}; the known hooks are: {', '.join(sorted(KNOWN))}.")
    return name


def register(name: str, fn: Callable[..., Any]) -> None:
    fns = _registry.setdefault(known(name), [])
    if fn not in fns:
        fns.append(fn)


def registered(name: str) -> list[Callable[..., Any]]:
    """The functions registered for a hook, in registration order (a copy)."""
    return list(_registry.get(known(name), ()))


def call_all(name: str, **kwargs: Any) -> list[Any]:
    return [fn(**kwargs) for fn in _registry.get(known(name), ())]


def call_first(name: str, **kwargs: Any) -> Any:
    """The first registered answer that is not None, else None."""
    for fn in _registry.get(known(name), ()):
        value = fn(**kwargs)
        if value is not None:
            return value
    return None


def merged(name: str, **kwargs: Any) -> dict:
    """Merge dict answers of every registered function (per-key dict update)."""
    out: dict = {}
    for part in call_all(name, **kwargs):
        for key, value in (part or {}).items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key].update(value)
            else:
                out[key] = value
    return out


def on_commit(name: str, **kwargs: Any) -> None:
    """Fire an event once the current transaction commits (at once outside one); never on rollback.
    Registrants are looked up when it fires, so a hook nobody registered costs one queued call."""
    known(name)
    transaction.on_commit(lambda: call_all(name, **kwargs))

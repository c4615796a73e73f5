"""Extension points that higher layers (telemetry, quality) fill in from their AppConfig.ready.

`annotations` never imports them; it asks here, and gets the neutral answer when nobody
registered. This keeps the import arrow pointing down (docs/architecture.md).
"""

from collections.abc import Callable
from typing import Any

_registry: dict[str, list[Callable[..., Any]]] = {}

# Names in use:
#   "editor_session"     (annotation, user) -> {"url", "salt"} | None   telemetry socket for the form
#   "annotation_submitted" (annotation, final_seq) -> None   e.g. compute signals
#   "export_provenance"  (annotations: list) -> {annotation_id: dict}   extra provenance per row
#   "review_evidence"    (annotation) -> dict               signals, flags, replay for reviewers
#   "next_task_policy"   (project, user, candidates) -> (task, reason) | None   routing policy
#   "review_queue_order" (annotations: QuerySet, user) -> QuerySet | None   review queue order (default oldest first)
#   "reviewer_calibration" (project) -> dict   reviewer agreement and drift (quality/calibration.py)
#   "evidence_flag_names" () -> {flag code: name in words}   the flags the review queue filters on
#   "annotations_with_flag" (flag) -> QuerySet of annotation ids   the queue's flag filter, applied in SQL
#   "annotation_flag_count" () -> expression over OuterRef("pk")   flags per annotation, to sort the queue


def register(name: str, fn: Callable[..., Any]) -> None:
    fns = _registry.setdefault(name, [])
    if fn not in fns:
        fns.append(fn)


def call_all(name: str, **kwargs: Any) -> list[Any]:
    return [fn(**kwargs) for fn in _registry.get(name, [])]


def call_first(name: str, **kwargs: Any) -> Any:
    """The first registered answer that is not None, else None."""
    for fn in _registry.get(name, []):
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

"""Reviewer calibration: how far reviewers agree on each rubric dimension, and who drifts.

Units are (annotation, version) pairs scored by at least two distinct reviewers (the double-reviewed
share). Per dimension: Krippendorff's alpha at the ordinal level (scores are ranks on a small scale,
not distances), and the mean absolute difference between reviewers of the same unit. Per reviewer and
dimension, drift is the mean signed difference between their score and the mean of the other
reviewers' scores on the same unit: positive = more lenient than their colleagues, negative = harsher.

A score of None is "n/a" (the reviewer said the dimension does not apply to that work;
annotations/services/review.scores_validate): it is a missing cell of the reliability matrix (nan,
as krippendorff takes it), and a pair where either reviewer said n/a counts towards neither the mean
absolute difference nor drift. A unit counts for a dimension only where two reviewers scored it.
"""

import math
from collections import defaultdict
from itertools import combinations

import krippendorff
import numpy as np

from annotations.models import Annotation, Project, Review, RubricDimension

DRIFT_ALERT = 0.5  # |mean signed difference| in scale points that marks a reviewer as drifting


def _units(*, project: Project) -> dict[tuple[int, int], dict[int, dict]]:
    """{(annotation id, version): {reviewer id: scores}} for units with two or more reviewers."""
    units: dict[tuple[int, int], dict[int, dict]] = defaultdict(dict)
    rows = Review.objects.filter(annotation__task__project=project).values_list(
        "annotation_id", "annotation_version", "reviewer_id", "scores"
    )
    for annotation_id, version, reviewer_id, scores in rows:
        units[(annotation_id, version)][reviewer_id] = scores or {}
    return {k: v for k, v in units.items() if len(v) >= 2}


def _is_score(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _dimensions(*, project: Project) -> list[RubricDimension]:
    """Every dimension key the project's rubrics define (newest rubric's wording wins)."""
    seen: dict[str, RubricDimension] = {}
    for dim in RubricDimension.objects.filter(rubric__project=project).order_by("-rubric_id", "order", "id"):
        seen.setdefault(dim.key, dim)
    return sorted(seen.values(), key=lambda d: (d.order, d.key))


def ordinal_alpha(*, matrix: list[list[float]], scale: tuple[int, int]) -> tuple[float | None, str]:
    """Krippendorff's alpha, ordinal level, over a reviewers x units matrix (nan = not scored).

    Returns (alpha, "") or (None, why it is undefined)."""
    data = np.array(matrix, dtype=float)
    if data.size == 0:
        return None, "no unit was scored by two reviewers"
    pairable = (~np.isnan(data)).sum(axis=0) >= 2
    if pairable.sum() < 1:
        return None, "no unit was scored by two reviewers"
    values = data[:, pairable]
    distinct = np.unique(values[~np.isnan(values)])
    if len(distinct) < 2:
        return None, f"every score was {distinct[0]:g}: no variation, so agreement beyond chance is undefined"
    alpha = krippendorff.alpha(
        reliability_data=data,
        level_of_measurement="ordinal",
        # The whole scale, plus any score outside it (a rubric whose scale changed between versions).
        value_domain=sorted(set(range(scale[0], scale[1] + 1)) | {float(v) for v in distinct}),
    )
    if alpha is None or math.isnan(alpha):
        return None, "undefined for these scores"
    return float(alpha), ""


def reviewer_calibration(*, project: Project) -> dict:
    """{"units", "dimensions": [{key, name, alpha, alpha_note, mad, n_units}],
    "reviewers": [{reviewer_id, username, n_units, drift: {key: {"mean", "n"}}, worst, drifting}]}"""
    units = _units(project=project)
    dims = _dimensions(project=project)
    reviewer_ids = sorted({r for unit in units.values() for r in unit})
    usernames = dict(
        Review.objects.filter(reviewer_id__in=reviewer_ids).values_list("reviewer_id", "reviewer__username").distinct()
    )
    keys = sorted(units)
    dimensions = []
    drift: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for dim in dims:
        matrix = [[np.nan] * len(keys) for _ in reviewer_ids]
        diffs: list[float] = []
        n_units = 0
        for j, key in enumerate(keys):
            # n/a (None) and anything not a number are left out: missing, not a score.
            scored = {r: s[dim.key] for r, s in units[key].items() if _is_score(s.get(dim.key))}
            for r, value in scored.items():
                matrix[reviewer_ids.index(r)][j] = float(value)
            if len(scored) < 2:
                continue
            n_units += 1
            diffs.extend(abs(a - b) for a, b in combinations(scored.values(), 2))
            for r, value in scored.items():
                others = [v for o, v in scored.items() if o != r]
                drift[r][dim.key].append(value - sum(others) / len(others))
        alpha, note = ordinal_alpha(matrix=matrix, scale=(dim.scale_min, dim.scale_max))
        dimensions.append(
            {
                "key": dim.key,
                "name": dim.name,
                "scale": (dim.scale_min, dim.scale_max),
                "alpha": alpha,
                "alpha_note": note,
                "mad": (sum(diffs) / len(diffs)) if diffs else None,
                "n_units": n_units,
            }
        )
    reviewers = []
    for r in reviewer_ids:
        per_dim = {
            key: {"mean": sum(values) / len(values), "n": len(values)} for key, values in drift[r].items() if values
        }
        worst = max(per_dim.items(), key=lambda kv: abs(kv[1]["mean"]), default=None)
        reviewers.append(
            {
                "reviewer_id": r,
                "username": usernames.get(r, str(r)),
                "n_units": sum(1 for unit in units.values() if r in unit),
                "drift": per_dim,
                "worst": {"key": worst[0], **worst[1]} if worst else None,
                "drifting": bool(worst and abs(worst[1]["mean"]) >= DRIFT_ALERT),
            }
        )
    reviewers.sort(key=lambda x: -(abs(x["worst"]["mean"]) if x["worst"] else 0))
    return {
        "units": len(units),
        "dimensions": dimensions,
        "reviewers": reviewers,
        "share": double_review_share(project=project, scored=len(units)),
    }


def double_review_share(*, project: Project, scored: int) -> dict:
    """How many submitted annotations were drawn for two reviews, beside how many units have two."""
    wanted = Annotation.objects.filter(task__project=project, reviews_wanted=2).exclude(state=Annotation.State.DRAFT)
    return {"wanted": wanted.count(), "scored": scored}


def register_hooks() -> None:
    """The review console (annotations) asks for calibration through a hook: it never imports quality."""
    from annotations import hooks

    hooks.register(hooks.REVIEWER_CALIBRATION, _calibration_hook)


def _calibration_hook(*, project: Project) -> dict:
    return reviewer_calibration(project=project)

"""Reviewer calibration with n/a scores: a dimension a reviewer said does not apply is a missing cell of
the reliability matrix, and pairs with an n/a count towards neither the mean absolute difference nor
drift. Expected values come from the krippendorff library and by hand."""

import krippendorff
import numpy as np
import pytest

from annotations import roles
from annotations.services.review import review_create
from quality.calibration import reviewer_calibration
from tests.annotations.review_helpers import rubric_add, submitted

N = None  # n/a
# Three reviewers x six units of one dimension; r3 says n/a on unit 2, r2 on unit 6 (which r3 never saw).
TABLE = [
    [1, 2, 3, 4, 5, 3],
    [1, 2, 4, 4, 5, N],
    [2, N, 3, 5, 4, "-"],  # "-": no review at all
]


@pytest.fixture
def calibration(make_project, make_user, annotator):
    reviewers = [make_user(f"r{i}", roles.REVIEWER) for i in (1, 2, 3)]
    project = make_project(members=[annotator, *reviewers], tasks=6, double_review_rate=0.0)
    rubric_add(project, dims=[("rationale", "Rationale", "", 1.0)])
    for unit in range(6):
        work = submitted(project, annotator, reviews_wanted=3)
        for reviewer, row in zip(reviewers, TABLE, strict=True):
            if row[unit] != "-":
                review_create(annotation=work, reviewer=reviewer, scores={"rationale": row[unit]}, verdict="accept")
    return reviewer_calibration(project=project)


def test_alpha_treats_na_as_a_missing_cell(calibration):
    matrix = np.array([[np.nan if v in (N, "-") else v for v in row] for row in TABLE], dtype=float)
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="ordinal", value_domain=[1, 2, 3, 4, 5])
    (dim,) = calibration["dimensions"]
    assert round(dim["alpha"], 3) == round(expected, 3)
    assert calibration["units"] == 6  # six units had two or more reviews ...
    assert dim["n_units"] == 5  # ... but on unit 6 only one reviewer gave this dimension a score


def test_mean_absolute_difference_and_drift_skip_pairs_with_na(calibration):
    (dim,) = calibration["dimensions"]
    # Pairs without an n/a: unit 1 (0, 1, 1), unit 2 r1-r2 only (0), unit 3 (1, 0, 1), unit 4 (0, 1, 1),
    # unit 5 (0, 1, 1); unit 6 has none: 8 over 13 pairs.
    assert dim["mad"] == pytest.approx(8 / 13)
    drift = {r["username"]: r["drift"]["rationale"] for r in calibration["reviewers"]}
    # r3 against the mean of the others on units 1, 3, 4, 5: +1, -0.5, +1, -1.
    assert drift["r3"] == {"mean": pytest.approx(0.125), "n": 4}
    # r2 on units 1-5 (unit 6 was n/a): -0.5, 0 (against r1 alone), +1, -0.5, +0.5.
    assert drift["r2"] == {"mean": pytest.approx(0.1), "n": 5}

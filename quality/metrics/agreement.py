"""Agreement coefficients over an items x raters matrix.

A matrix is a 2-D float array, one row per item and one column per rater, holding a numeric code for each
rating and NaN where the rater did not rate the item. Nominal labels are coded by `encode` first; ordinal,
interval and ratio values are their own codes. Each coefficient returns an `Agreement`: a value with the
number of items and raters it stands on (and, via `quality.metrics.bootstrap`, a 95% interval), or no
value and the reason in words. No ORM and no Django: these are pure functions.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Literal

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as _statsmodels_fleiss_kappa

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")
Weights = Literal["linear", "quadratic"] | None

# Fewest items rated by two or more raters that a coefficient is computed on.
MIN_ITEMS = 2

ONE_RATER = "only one rater has rated anything"
ONE_CATEGORY = "every rating is the same value, so there is no variation to agree on beyond chance"


def too_few_items(found: int) -> str:
    return f"too few items rated by two or more raters ({found}; at least {MIN_ITEMS} needed)"


@dataclass(frozen=True)
class Agreement:
    """One coefficient: `value` with its interval, or `value` None and `why` saying why it is undefined."""

    value: float | None
    n_items: int
    n_raters: int
    ci_low: float | None = None
    ci_high: float | None = None
    why: str | None = None

    @property
    def defined(self) -> bool:
        return self.value is not None

    def with_ci(self, low: float | None, high: float | None) -> Agreement:
        return replace(self, ci_low=low, ci_high=high)

    def as_dict(self) -> dict:
        return asdict(self)


def undefined(why: str, *, n_items: int = 0, n_raters: int = 0) -> Agreement:
    return Agreement(value=None, n_items=n_items, n_raters=n_raters, why=why)


def as_matrix(data: Sequence[Sequence[float | None]] | np.ndarray) -> np.ndarray:
    """A float items x raters array; None becomes NaN (missing)."""
    m = np.array(
        [[np.nan if v is None else v for v in row] for row in data] if not isinstance(data, np.ndarray) else data,
        dtype=float,
    )
    if m.ndim != 2:
        raise ValueError("an agreement matrix has one row per item and one column per rater")
    return m


def encode(rows: Iterable[Sequence[object | None]]) -> tuple[np.ndarray, list]:
    """Nominal labels (any hashable, None missing) -> (matrix of codes 0..q-1, the labels in code order)."""
    rows = [list(r) for r in rows]
    labels = sorted({v for r in rows for v in r if v is not None}, key=str)
    code = {label: i for i, label in enumerate(labels)}
    m = np.array([[np.nan if v is None else code[v] for v in r] for r in rows], dtype=float)
    return m.reshape(len(rows), -1), labels


def _shape(m: np.ndarray) -> tuple[np.ndarray, int, int, np.ndarray]:
    """(pairable rows, n pairable items, n raters on them, the categories seen in them)."""
    rated = ~np.isnan(m)
    pairable = m[rated.sum(axis=1) >= 2]
    n_raters = int((~np.isnan(pairable)).any(axis=0).sum()) if len(pairable) else int(rated.any(axis=0).sum())
    categories = np.unique(pairable[~np.isnan(pairable)])
    return pairable, len(pairable), n_raters, categories


def _guard(m: np.ndarray, *, one_category_defined: bool = False) -> Agreement | None:
    """The undefined result that applies to `m`, or None when the coefficient can be computed."""
    rated = ~np.isnan(m)
    if rated.any(axis=0).sum() < 2:
        return undefined(ONE_RATER, n_items=int(rated.any(axis=1).sum()), n_raters=int(rated.any(axis=0).sum()))
    _, n_items, n_raters, categories = _shape(m)
    if n_items < MIN_ITEMS:
        return undefined(too_few_items(n_items), n_items=n_items, n_raters=n_raters)
    if len(categories) < 2 and not one_category_defined:
        return undefined(ONE_CATEGORY, n_items=n_items, n_raters=n_raters)
    return None


def counts_table(m: np.ndarray, categories: np.ndarray | None = None) -> np.ndarray:
    """Items x categories: how many raters put each item in each category (missing cells count nowhere)."""
    if categories is None:
        categories = np.unique(m[~np.isnan(m)])
    return (m[:, :, None] == categories[None, None, :]).sum(axis=1).astype(float)


def _pairwise_agreement(counts: np.ndarray) -> np.ndarray:
    """Per item (last-but-one axis): the share of ordered rater pairs that agree, over items with r >= 2."""
    r = counts.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (counts * (counts - 1)).sum(axis=-1) / (r * (r - 1))


def percent_agreement_from_counts(counts: np.ndarray) -> np.ndarray:
    """Mean over items (r >= 2) of the share of agreeing rater pairs."""
    per_item = _pairwise_agreement(counts)
    return np.nanmean(per_item, axis=-1)


def gwet_ac1_from_counts(counts: np.ndarray) -> np.ndarray:
    """Gwet's AC1 for several raters with missing ratings (Gwet 2008; Handbook of Inter-Rater Reliability).

    pa: mean over items rated at least twice of sum_k r_ik (r_ik - 1) / (r_i (r_i - 1));
    pi_k: mean over items rated at least once of r_ik / r_i; pe = sum_k pi_k (1 - pi_k) / (q - 1);
    AC1 = (pa - pe) / (1 - pe).
    """
    q = counts.shape[-1]
    r = counts.sum(axis=-1, keepdims=True)
    pa = percent_agreement_from_counts(counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(r > 0, counts / r, np.nan)
        pi = np.nanmean(share, axis=-2)
        pe = (pi * (1 - pi)).sum(axis=-1) / (q - 1)
        return (pa - pe) / (1 - pe)


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def percent_agreement(m: np.ndarray) -> Agreement:
    """Observed agreement: per item, the share of rater pairs giving the same value; averaged over items."""
    m = as_matrix(m)
    if (bad := _guard(m, one_category_defined=True)) is not None:
        return bad
    pairable, n_items, n_raters, _ = _shape(m)
    value = percent_agreement_from_counts(counts_table(pairable))
    return Agreement(value=_finite(value), n_items=n_items, n_raters=n_raters)


def gwet_ac1(m: np.ndarray) -> Agreement:
    """Gwet's AC1 (nominal), missing ratings allowed; our implementation of Gwet's formula."""
    m = as_matrix(m)
    if (bad := _guard(m)) is not None:
        return bad
    _, n_items, n_raters, _ = _shape(m)
    rated = m[(~np.isnan(m)).any(axis=1)]
    value = gwet_ac1_from_counts(counts_table(rated))
    return Agreement(value=_finite(value), n_items=n_items, n_raters=n_raters)


def _ratings_per_item(m: np.ndarray) -> np.ndarray:
    r = (~np.isnan(m)).sum(axis=1)
    return r[r > 0]


def fleiss_kappa(m: np.ndarray) -> Agreement:
    """Fleiss' kappa (statsmodels), only when every rated item has the same number of ratings."""
    m = as_matrix(m)
    if (bad := _guard(m)) is not None:
        return bad
    per_item = _ratings_per_item(m)
    _, n_items, n_raters, categories = _shape(m)
    if per_item.min() != per_item.max():
        return undefined(
            f"items have different numbers of ratings ({per_item.min()} to {per_item.max()}); "
            "Fleiss' kappa needs the same number for every item",
            n_items=n_items,
            n_raters=n_raters,
        )
    rated = m[(~np.isnan(m)).any(axis=1)]
    with np.errstate(invalid="ignore", divide="ignore"):
        value = _statsmodels_fleiss_kappa(counts_table(rated, categories), method="fleiss")
    if not np.isfinite(value):
        return undefined(ONE_CATEGORY, n_items=n_items, n_raters=n_raters)
    return Agreement(value=float(value), n_items=n_items, n_raters=n_raters)


def krippendorff_alpha(m: np.ndarray, *, level: Level) -> Agreement:
    """Krippendorff's alpha (the `krippendorff` package) at the given level of measurement; missing allowed."""
    if level not in LEVELS:
        raise ValueError(f"unknown level of measurement {level!r}; one of {', '.join(LEVELS)}")
    m = as_matrix(m)
    if (bad := _guard(m)) is not None:
        return bad
    _, n_items, n_raters, _ = _shape(m)
    value = krippendorff.alpha(reliability_data=m.T, level_of_measurement=level)
    return Agreement(value=_finite(value), n_items=n_items, n_raters=n_raters)


def cohen_kappa(m: np.ndarray, *, weights: Weights = None) -> Agreement:
    """Cohen's kappa for exactly two raters (scikit-learn), on the items both rated; linear or quadratic
    weights for ordered values."""
    m = as_matrix(m)
    if m.shape[1] != 2:
        return undefined(f"Cohen's kappa compares exactly two raters, not {m.shape[1]}", n_raters=m.shape[1])
    if (bad := _guard(m)) is not None:
        return bad
    both = m[~np.isnan(m).any(axis=1)]
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        value = cohen_kappa_score(both[:, 0], both[:, 1], weights=weights)
    if not np.isfinite(value):
        return undefined(ONE_CATEGORY, n_items=len(both), n_raters=2)
    return Agreement(value=float(value), n_items=len(both), n_raters=2)


def mean_pairwise_cohen_kappa(m: np.ndarray, *, weights: Weights = None) -> Agreement:
    """Cohen's kappa for every pair of raters who share at least MIN_ITEMS items, averaged over the pairs
    where it is defined."""
    m = as_matrix(m)
    if (bad := _guard(m)) is not None:
        return bad
    _, n_items, n_raters, _ = _shape(m)
    kappas = []
    for a, b in itertools.combinations(range(m.shape[1]), 2):
        result = cohen_kappa(m[:, [a, b]], weights=weights)
        if result.defined:
            kappas.append(result.value)
    if not kappas:
        return undefined(
            f"no pair of raters shares {MIN_ITEMS} or more items with more than one value between them",
            n_items=n_items,
            n_raters=n_raters,
        )
    return Agreement(value=float(np.mean(kappas)), n_items=n_items, n_raters=n_raters)

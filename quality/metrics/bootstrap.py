"""Percentile bootstrap intervals over items for the agreement coefficients.

Items (rows) are resampled with replacement a bounded number of times from a fixed seed, so the same
matrix always gives the same interval. Percent agreement and Gwet's AC1 are computed for every resample
at once on the stacked counts tables; the library coefficients are called once per resample.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from quality.metrics.agreement import (
    MIN_ITEMS,
    Agreement,
    Level,
    Weights,
    as_matrix,
    cohen_kappa,
    counts_table,
    fleiss_kappa,
    gwet_ac1,
    gwet_ac1_from_counts,
    krippendorff_alpha,
    mean_pairwise_cohen_kappa,
    percent_agreement,
    percent_agreement_from_counts,
)

RESAMPLES = 1000
MAX_RESAMPLES = 10_000
CONFIDENCE = 0.95


def resample_indices(n_items: int, *, resamples: int = RESAMPLES, seed: int = 0) -> np.ndarray:
    """resamples x n_items row indices drawn with replacement."""
    if not 1 <= resamples <= MAX_RESAMPLES:
        raise ValueError(f"resamples must be between 1 and {MAX_RESAMPLES}, not {resamples}")
    return np.random.default_rng(seed).integers(0, n_items, size=(resamples, n_items))


def _percentiles(values: np.ndarray, confidence: float) -> tuple[float | None, float | None]:
    values = values[np.isfinite(values)]
    if not len(values):
        return None, None
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def _rated_rows(m: np.ndarray) -> np.ndarray:
    return m[(~np.isnan(m)).any(axis=1)]


def _vectorised(m: np.ndarray, of_counts: Callable[[np.ndarray], np.ndarray], idx: np.ndarray) -> np.ndarray:
    counts = counts_table(m)
    return of_counts(counts[idx])


def _looped(m: np.ndarray, point: Callable[[np.ndarray], Agreement], idx: np.ndarray) -> np.ndarray:
    return np.array([np.nan if (r := point(m[i])).value is None else r.value for i in idx])


def with_interval(
    m: np.ndarray,
    point: Callable[[np.ndarray], Agreement],
    *,
    resamples: int = RESAMPLES,
    seed: int = 0,
    confidence: float = CONFIDENCE,
    of_counts: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Agreement:
    """`point(m)` with a percentile bootstrap interval over items. Resamples where the coefficient is
    undefined (say every resampled item has one value) are left out of the percentiles."""
    m = _rated_rows(as_matrix(m))
    estimate = point(m)
    if not estimate.defined:
        return estimate
    idx = resample_indices(len(m), resamples=resamples, seed=seed)
    values = _vectorised(m, of_counts, idx) if of_counts is not None else _looped(m, point, idx)
    return estimate.with_ci(*_percentiles(np.asarray(values, dtype=float), confidence))


def percent_agreement_ci(m: np.ndarray, **kw) -> Agreement:
    return with_interval(m, percent_agreement, of_counts=percent_agreement_from_counts, **kw)


def gwet_ac1_ci(m: np.ndarray, **kw) -> Agreement:
    def of_counts(counts: np.ndarray) -> np.ndarray:
        # A resample that happens to hold one category only has no AC1; drop categories nobody used in it.
        values = np.full(counts.shape[0], np.nan)
        used = counts.sum(axis=1) > 0
        full = used.all(axis=1)
        values[full] = gwet_ac1_from_counts(counts[full])
        for b in np.flatnonzero(~full):
            if used[b].sum() >= 2:
                values[b] = gwet_ac1_from_counts(counts[b][:, used[b]])
        return values

    return with_interval(m, gwet_ac1, of_counts=of_counts, **kw)


def fleiss_kappa_ci(m: np.ndarray, **kw) -> Agreement:
    return with_interval(m, fleiss_kappa, **kw)


def krippendorff_alpha_ci(m: np.ndarray, *, level: Level, **kw) -> Agreement:
    return with_interval(m, lambda x: krippendorff_alpha(x, level=level), **kw)


def pair_kappas(m: np.ndarray, idx: np.ndarray, *, weights: Weights = None) -> np.ndarray:
    """Cohen's kappa of every rater pair (columns) for every resample (rows of `idx`) at once.

    The same formula as scikit-learn's cohen_kappa_score (1 - sum(w * observed) / sum(w * expected), with
    w the 0/1, |i - j| or (i - j)^2 distance between label ranks), counted with one bincount per pair over
    all resamples. A pair's labels are those it used on the whole matrix, so a resample that misses a
    label keeps the distances between the others. NaN where a resample leaves the pair under MIN_ITEMS
    shared items or with nothing to agree on beyond chance.
    """
    resamples = idx.shape[0]
    pairs = list(itertools.combinations(range(m.shape[1]), 2))
    out = np.full((resamples, len(pairs)), np.nan)
    for p, (a, b) in enumerate(pairs):
        both = ~np.isnan(m[:, a]) & ~np.isnan(m[:, b])
        labels = np.unique(m[both][:, [a, b]])
        q = len(labels)
        if both.sum() < MIN_ITEMS or q < 2:
            continue
        ra = np.searchsorted(labels, np.where(both, m[:, a], labels[0]))
        rb = np.searchsorted(labels, np.where(both, m[:, b], labels[0]))
        cell = (ra * q + rb)[idx] + (np.arange(resamples) * q * q)[:, None]
        observed = np.bincount(cell.ravel(), weights=both[idx].ravel().astype(float), minlength=resamples * q * q)
        observed = observed.reshape(resamples, q, q)
        n = observed.sum(axis=(1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            expected = observed.sum(axis=2)[:, :, None] * observed.sum(axis=1)[:, None, :] / n[:, None, None]
        ranks = np.arange(q)
        if weights is None:
            w = 1.0 - np.eye(q)
        elif weights == "linear":
            w = np.abs(ranks[:, None] - ranks[None, :]).astype(float)
        else:
            w = ((ranks[:, None] - ranks[None, :]) ** 2).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            kappa = 1 - (w * observed).sum(axis=(1, 2)) / (w * expected).sum(axis=(1, 2))
        kappa[n < MIN_ITEMS] = np.nan
        out[:, p] = kappa
    return out


def cohen_kappa_ci(m: np.ndarray, *, weights: Weights = None, **kw) -> Agreement:
    return mean_pairwise_cohen_kappa_ci(m, weights=weights, _point=lambda x: cohen_kappa(x, weights=weights), **kw)


def mean_pairwise_cohen_kappa_ci(
    m: np.ndarray,
    *,
    weights: Weights = None,
    resamples: int = RESAMPLES,
    seed: int = 0,
    confidence: float = CONFIDENCE,
    _point: Callable[[np.ndarray], Agreement] | None = None,
) -> Agreement:
    m = _rated_rows(as_matrix(m))
    estimate = (_point or (lambda x: mean_pairwise_cohen_kappa(x, weights=weights)))(m)
    if not estimate.defined:
        return estimate
    idx = resample_indices(len(m), resamples=resamples, seed=seed)
    kappas = pair_kappas(m, idx, weights=weights)
    defined = np.isfinite(kappas).any(axis=1)
    values = np.full(len(idx), np.nan)
    values[defined] = np.nanmean(kappas[defined], axis=1)
    return estimate.with_ci(*_percentiles(values, confidence))

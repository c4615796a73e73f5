"""Percentile bootstrap intervals over items for the agreement coefficients.

Items (rows) are resampled with replacement a bounded number of times from a fixed seed, so the same
matrix always gives the same interval. A resample is held as weights (how many times each item was
drawn), in chunks of resamples so memory stays bounded however many items there are. Percent agreement,
Gwet's AC1, Fleiss' kappa and Cohen's kappa are then one matrix product per chunk over per-item counts;
Krippendorff's alpha is computed by the `krippendorff` package once per resample from the resampled
value counts.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import krippendorff
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
    krippendorff_alpha,
    mean_pairwise_cohen_kappa,
    percent_agreement,
)

RESAMPLES = 1000
MAX_RESAMPLES = 10_000
CONFIDENCE = 0.95
CHUNK_CELLS = 2_000_000  # resamples x items held at once


def resample_weights(n_items: int, *, resamples: int = RESAMPLES, seed: int = 0) -> Iterator[np.ndarray]:
    """Chunks of a (resamples x n_items) array: how many times each item is drawn in each resample."""
    if not 1 <= resamples <= MAX_RESAMPLES:
        raise ValueError(f"resamples must be between 1 and {MAX_RESAMPLES}, not {resamples}")
    rng = np.random.default_rng(seed)
    chunk = max(1, CHUNK_CELLS // max(n_items, 1))
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        idx = rng.integers(0, n_items, size=(size, n_items)) + (np.arange(size) * n_items)[:, None]
        yield np.bincount(idx.ravel(), minlength=size * n_items).reshape(size, n_items).astype(float)


def _percentiles(values: np.ndarray, confidence: float) -> tuple[float | None, float | None]:
    values = values[np.isfinite(values)]
    if not len(values):
        return None, None
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def _rated_rows(m: np.ndarray) -> np.ndarray:
    return m[(~np.isnan(m)).any(axis=1)]


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den


def percent_agreement_weighted(m: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Percent agreement of each weighted resample (rows of w): the weighted mean over items rated at
    least twice of the share of agreeing rater pairs."""
    counts = counts_table(m)
    r = counts.sum(axis=1)
    pairable = r >= 2
    per_item = (counts * (counts - 1)).sum(axis=1)[pairable] / (r * (r - 1))[pairable]
    return _ratio(w[:, pairable] @ per_item, w[:, pairable].sum(axis=1))


def gwet_ac1_weighted(m: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Gwet's AC1 of each weighted resample (the formula of agreement.gwet_ac1_from_counts); the
    categories are those used in the resample."""
    counts = counts_table(m)
    pa = percent_agreement_weighted(m, w)
    pi = _ratio(w @ (counts / counts.sum(axis=1, keepdims=True)), w.sum(axis=1, keepdims=True))
    q = (pi > 0).sum(axis=1)
    pe = _ratio((pi * (1 - pi)).sum(axis=1), q - 1.0)
    ac1 = _ratio(pa - pe, 1 - pe)
    ac1[q < 2] = np.nan
    return ac1


def fleiss_kappa_weighted(m: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Fleiss' kappa of each weighted resample (every item has the same number of ratings r):
    (P - Pe) / (1 - Pe), P the mean pairwise agreement, Pe the sum of squared category shares."""
    counts = counts_table(m)
    share = _ratio(w @ counts, (w.sum(axis=1) * counts[0].sum())[:, None])
    pe = (share**2).sum(axis=1)
    return _ratio(percent_agreement_weighted(m, w) - pe, 1 - pe)


def pair_kappas(m: np.ndarray, w: np.ndarray, *, weights: Weights = None) -> np.ndarray:
    """Cohen's kappa of every rater pair (columns) for every weighted resample (rows of w) at once.

    The same formula as scikit-learn's cohen_kappa_score (1 - sum(d * observed) / sum(d * expected), with
    d the 0/1, |i - j| or (i - j)^2 distance between label ranks); the observed table of each resample is
    one matrix product of the weights with the items' cells. A pair's labels are those it used on the
    whole matrix, so a resample that misses a label keeps the distances between the others. NaN where a
    resample leaves the pair under MIN_ITEMS shared items or with nothing to agree on beyond chance.
    """
    pairs = list(itertools.combinations(range(m.shape[1]), 2))
    out = np.full((w.shape[0], len(pairs)), np.nan)
    for p, (a, b) in enumerate(pairs):
        both = ~np.isnan(m[:, a]) & ~np.isnan(m[:, b])
        labels = np.unique(m[both][:, [a, b]])
        q = len(labels)
        if both.sum() < MIN_ITEMS or q < 2:
            continue
        cells = np.zeros((int(both.sum()), q * q))
        cells[np.arange(len(cells)), np.searchsorted(labels, m[both, a]) * q + np.searchsorted(labels, m[both, b])] = 1
        observed = (w[:, both] @ cells).reshape(-1, q, q)
        n = observed.sum(axis=(1, 2))
        expected = _ratio(observed.sum(axis=2)[:, :, None] * observed.sum(axis=1)[:, None, :], n[:, None, None])
        ranks = np.arange(q)
        if weights is None:
            d = 1.0 - np.eye(q)
        elif weights == "linear":
            d = np.abs(ranks[:, None] - ranks[None, :]).astype(float)
        else:
            d = ((ranks[:, None] - ranks[None, :]) ** 2).astype(float)
        kappa = 1 - _ratio((d * observed).sum(axis=(1, 2)), (d * expected).sum(axis=(1, 2)))
        kappa[n < MIN_ITEMS] = np.nan
        out[:, p] = kappa
    return out


def with_interval(
    m: np.ndarray,
    point: Callable[[np.ndarray], Agreement],
    of_weights: Callable[[np.ndarray, np.ndarray], np.ndarray],
    *,
    resamples: int = RESAMPLES,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> Agreement:
    """`point(m)` with a percentile bootstrap interval over items; `of_weights(m, w)` gives the coefficient
    of each weighted resample. Resamples where it is undefined (say every resampled item has one value)
    are left out of the percentiles."""
    m = _rated_rows(as_matrix(m))
    estimate = point(m)
    if not estimate.defined:
        return estimate
    values = np.concatenate(
        [of_weights(m, w) for w in resample_weights(len(m), resamples=resamples, seed=seed)]
    ).astype(float)
    return estimate.with_ci(*_percentiles(values, confidence))


def percent_agreement_ci(m: np.ndarray, **kw) -> Agreement:
    return with_interval(m, percent_agreement, percent_agreement_weighted, **kw)


def gwet_ac1_ci(m: np.ndarray, **kw) -> Agreement:
    return with_interval(m, gwet_ac1, gwet_ac1_weighted, **kw)


def fleiss_kappa_ci(m: np.ndarray, **kw) -> Agreement:
    return with_interval(m, fleiss_kappa, fleiss_kappa_weighted, **kw)


def krippendorff_alpha_ci(m: np.ndarray, *, level: Level, **kw) -> Agreement:
    def of_weights(m: np.ndarray, w: np.ndarray) -> np.ndarray:
        categories = np.unique(m[~np.isnan(m)])
        counts = counts_table(m, categories)
        values = np.full(len(w), np.nan)
        for b, times in enumerate(w.astype(int)):
            try:
                values[b] = krippendorff.alpha(
                    value_counts=np.repeat(counts, times, axis=0),
                    value_domain=categories,
                    level_of_measurement=level,
                )
            except ValueError:  # no resampled item holds two ratings
                continue
        return values

    return with_interval(m, lambda x: krippendorff_alpha(x, level=level), of_weights, **kw)


def cohen_kappa_ci(m: np.ndarray, *, weights: Weights = None, **kw) -> Agreement:
    return with_interval(
        m, lambda x: cohen_kappa(x, weights=weights), lambda x, w: pair_kappas(x, w, weights=weights)[:, 0], **kw
    )


def mean_pairwise_cohen_kappa_ci(m: np.ndarray, *, weights: Weights = None, **kw) -> Agreement:
    def of_weights(m: np.ndarray, w: np.ndarray) -> np.ndarray:
        kappas = pair_kappas(m, w, weights=weights)
        values = np.full(len(w), np.nan)
        defined = np.isfinite(kappas).any(axis=1)
        values[defined] = np.nanmean(kappas[defined], axis=1)
        return values

    return with_interval(m, lambda x: mean_pairwise_cohen_kappa(x, weights=weights), of_weights, **kw)

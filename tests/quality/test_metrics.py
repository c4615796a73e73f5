"""Agreement coefficients against published worked examples (to three decimals), every undefined case,
and bootstrap intervals on simulated raters whose true agreement is known."""

import numpy as np
import pytest

from quality.metrics.agreement import (
    LEVELS,
    MIN_ITEMS,
    ONE_CATEGORY,
    ONE_RATER,
    Agreement,
    as_matrix,
    cohen_kappa,
    encode,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    mean_pairwise_cohen_kappa,
    percent_agreement,
)
from quality.metrics.bootstrap import (
    fleiss_kappa_ci,
    fleiss_kappa_weighted,
    gwet_ac1_ci,
    gwet_ac1_weighted,
    krippendorff_alpha_ci,
    mean_pairwise_cohen_kappa_ci,
    pair_kappas,
    percent_agreement_ci,
    percent_agreement_weighted,
    resample_weights,
)

N = None

# Krippendorff's reliability data: 4 observers x 12 units, values 1-5, with missing cells (one row per
# observer here, transposed to units x raters below). Gwet (2014) prints the same ratings on p. 120 with
# unit 12's single rating under rater 3 instead of rater 2; a unit rated once counts in neither alpha nor
# the agreement of AC1, and both versions give the figures below.
KRIPPENDORFF_OBSERVERS = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
GWET_4RATERS = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, N],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]


def units(observers):
    return as_matrix(observers).T


def test_krippendorff_reliability_data_at_every_level():
    """Krippendorff, reliability data with missing values (4 observers x 12 units; Gwet 2014, Handbook of
    Inter-Rater Reliability, 4th ed., p. 120): alpha nominal 0.743, ordinal 0.815, interval 0.849, ratio
    0.797. Ordinal and ratio are asserted by the krippendorff package's own tests (tests/test_krippendorff.py);
    nominal 0.743, quadratic (interval) 0.849 and ratio 0.797 by irrCAC's tests on Gwet's version
    (test/unit/irrCAC/raw/test_krippendorff.py)."""
    expected = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}
    for observers in (KRIPPENDORFF_OBSERVERS, GWET_4RATERS):
        for level, value in expected.items():
            result = krippendorff_alpha(units(observers), level=level)
            assert round(result.value, 3) == value, level
            assert (result.n_items, result.n_raters) == (11, 4)  # unit 12 was rated once


def test_krippendorff_wikipedia_computational_example():
    """Wikipedia, "Krippendorff's alpha", a computational example (3 coders x 15 units, many missing):
    nominal alpha 0.691, interval 0.811; both asserted by the krippendorff package's tests
    (0.691358 and 0.810845)."""
    coders = [
        [N, N, N, N, N, 3, 4, 1, 2, 1, 1, 3, 3, N, 3],
        [1, N, 2, 1, 3, 3, 4, 3, N, N, N, N, N, N, N],
        [N, N, 2, 1, 3, 4, 4, N, 2, 1, 1, 3, 3, N, 4],
    ]
    assert round(krippendorff_alpha(units(coders), level="nominal").value, 3) == 0.691
    assert round(krippendorff_alpha(units(coders), level="interval").value, 3) == 0.811


def test_gwet_ac1_and_percent_agreement_with_missing_ratings():
    """Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed., p. 120 (4 raters x 12 units, missing
    ratings): percent agreement pa 0.818, AC1 0.775; and the 5 observers x 15 units table after p. 125
    (scores 0-3, missing ratings): pa 0.616, AC1 0.497. Figures from irrCAC's tests
    (test/unit/irrCAC/raw/test_gwet.py, datasets raw_4raters and raw_5observers)."""
    four = units(GWET_4RATERS)
    assert round(percent_agreement(four).value, 3) == 0.818
    assert round(gwet_ac1(four).value, 3) == 0.775
    five = units(
        [
            [1, 1, 2, N, 0, 0, 1, 1, 2, 2, N, 0, 1, 3, 1],
            [1, 1, 3, 0, 0, 0, 0, N, 2, 1, 1, 0, 2, 3, 1],
            [2, 0, 3, 0, 0, 0, 2, 2, 2, 1, 0, 0, 2, 2, 1],
            [N, 1, 3, N, N, N, N, 0, N, 1, 0, 0, 2, 2, N],
            [2, N, N, 0, 0, 0, 1, N, 2, N, N, N, N, 3, 1],
        ]
    )
    assert round(percent_agreement(five).value, 3) == 0.616
    assert round(gwet_ac1(five).value, 3) == 0.497
    assert round(krippendorff_alpha(five, level="nominal").value, 3) == 0.481  # irrCAC, test_krippendorff.py


def test_skewed_labels_ac1_fleiss_and_percent_agreement():
    """Gwet's gender data in irrCAC (4 raters x 15 subjects, labels a/b/c, complete): percent agreement
    0.456, Gwet's AC1 0.208, Fleiss' kappa 0.129, Krippendorff's alpha 0.143 (irrCAC tests:
    test_gwet.py, test_fleiss.py, test_krippendorff.py, dataset raw_gender)."""
    raters = [
        list("a a a a a b b b c a a a a a b".replace(" ", "")),
        list("a a a a b a b c c a a a a b a".replace(" ", "")),
        list("a b b c a a b b c a b b c a a".replace(" ", "")),
        list("c c c c a a b b c c c c c a a".replace(" ", "")),
    ]
    m, labels = encode(zip(*raters, strict=True))
    assert labels == ["a", "b", "c"]
    assert round(percent_agreement(m).value, 3) == 0.456
    assert round(gwet_ac1(m).value, 3) == 0.208
    assert round(fleiss_kappa(m).value, 3) == 0.129
    assert round(krippendorff_alpha(m, level="nominal").value, 3) == 0.143


def test_fleiss_1971_psychiatric_diagnoses():
    """Fleiss (1971), "Measuring nominal scale agreement among many raters", Psychological Bulletin 76,
    Table 1: 30 patients, 6 psychiatrists each, 5 diagnoses: kappa 0.430 (statsmodels' test_inter_rater.py,
    matching R irr's kappam.fleiss 0.4302445)."""
    diagnoses = [
        [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5], [2, 2, 2, 4, 4, 4],
        [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4], [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5],
        [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4], [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5],
        [3, 3, 3, 3, 3, 5], [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4], [1, 4, 4, 4, 4, 5],
        [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4], [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
    ]  # fmt: skip
    result = fleiss_kappa(as_matrix(diagnoses))
    assert round(result.value, 3) == 0.430
    assert (result.n_items, result.n_raters) == (30, 6)


def expand_counts(counts):
    """A subjects x categories count table -> subjects x raters matrix (raters are interchangeable)."""
    return as_matrix([[k for k, c in enumerate(row) for _ in range(c)] for row in counts])


def test_fleiss_wikipedia_fourteen_raters():
    """Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories: kappa 0.210
    (statsmodels' test_inter_rater.py, test_fleiss_kappa)."""
    table = [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]  # fmt: skip
    assert round(fleiss_kappa(expand_counts(table)).value, 3) == 0.210


def contingency_to_pairs(table):
    return as_matrix([[i, j] for i, row in enumerate(table) for j, c in enumerate(row) for _ in range(c)])


def test_cohen_kappa_sas_example_unweighted_and_linear():
    """SAS PROC FREQ example reproduced in statsmodels' test_inter_rater.py (3 x 3 table
    [[0, 4, 1], [0, 8, 0], [0, 1, 5]]): simple kappa 0.4842, weighted kappa with linear weights 0.4701."""
    pairs = contingency_to_pairs([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    assert round(cohen_kappa(pairs).value, 3) == 0.484
    assert round(cohen_kappa(pairs, weights="linear").value, 3) == 0.470


def test_cohen_kappa_weighted_anxiety_ratings():
    """The anxiety ratings of R's irr package (Gamer et al.; 20 subjects, 3 raters, scale 1-6), raters 2
    and 3 as in statsmodels' test_cohens_kappa_irr: kappa2 unweighted -0.006, "equal" (linear) 0.146,
    "squared" (quadratic) 0.252."""
    rater1 = [3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3]
    rater2 = [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4]
    rater3 = [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2]
    anxiety = list(zip(rater1, rater2, rater3, strict=True))
    pair = as_matrix(anxiety)[:, 1:]
    assert round(cohen_kappa(pair).value, 3) == -0.006
    assert round(cohen_kappa(pair, weights="linear").value, 3) == 0.146
    assert round(cohen_kappa(pair, weights="quadratic").value, 3) == 0.252
    # The bootstrap's vectorised kappa gives scikit-learn's figure on the data itself.
    identity = np.ones((1, len(pair)))
    for weights, value in ((None, -0.006), ("linear", 0.146), ("quadratic", 0.252)):
        assert round(pair_kappas(pair, identity, weights=weights)[0, 0], 3) == value


def test_mean_pairwise_cohen_kappa_averages_the_pairs():
    m = units(KRIPPENDORFF_OBSERVERS)
    pairs = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    each = [cohen_kappa(m[:, list(p)]).value for p in pairs]
    assert mean_pairwise_cohen_kappa(m).value == pytest.approx(np.mean(each))
    assert pair_kappas(m, np.ones((1, len(m))))[0] == pytest.approx(each)


# Undefined cases: no number, and the reason in words.

ALL_CHANCE_CORRECTED = {
    "krippendorff_alpha": lambda m: krippendorff_alpha(m, level="nominal"),
    "fleiss_kappa": fleiss_kappa,
    "gwet_ac1": gwet_ac1,
    "mean_pairwise_cohen_kappa": mean_pairwise_cohen_kappa,
}


@pytest.mark.parametrize("name", ALL_CHANCE_CORRECTED)
def test_one_category_only_is_undefined(name):
    result = ALL_CHANCE_CORRECTED[name](as_matrix([[1, 1, 1], [1, 1, 1], [1, 1, 1]]))
    assert result.value is None
    assert "same value" in result.why or "more than one value" in result.why
    assert percent_agreement(as_matrix([[1, 1, 1], [1, 1, 1]])).value == 1.0


def test_cohen_kappa_both_raters_one_label():
    """scikit-learn gives nan when both raters use one label; we say why instead."""
    result = cohen_kappa(as_matrix([[2, 2], [2, 2], [2, 2]]))
    assert result.value is None and result.why == ONE_CATEGORY


def test_fleiss_kappa_every_rating_one_category_after_the_guard():
    """statsmodels' fleiss_kappa gives nan on one category; the guard says why before calling it."""
    assert fleiss_kappa(as_matrix([[3, 3], [3, 3]])).why == ONE_CATEGORY


@pytest.mark.parametrize("name", [*ALL_CHANCE_CORRECTED, "percent_agreement"])
def test_too_few_items_is_undefined(name):
    fn = ALL_CHANCE_CORRECTED.get(name, percent_agreement)
    result = fn(as_matrix([[1, 2], [1, N], [N, 2]]))  # one item rated twice
    assert result.value is None
    assert result.why.startswith("too few items") and f"at least {MIN_ITEMS}" in result.why


@pytest.mark.parametrize("name", [*ALL_CHANCE_CORRECTED, "percent_agreement"])
def test_one_rater_is_undefined(name):
    fn = ALL_CHANCE_CORRECTED.get(name, percent_agreement)
    result = fn(as_matrix([[1, N], [2, N], [1, N]]))
    assert result.value is None and result.why == ONE_RATER


def test_fleiss_unequal_ratings_per_item_is_undefined_but_alpha_is_not():
    m = units(KRIPPENDORFF_OBSERVERS)
    result = fleiss_kappa(m)
    assert result.value is None
    assert "different numbers of ratings (1 to 4)" in result.why
    assert krippendorff_alpha(m, level="nominal").defined


def test_cohen_kappa_needs_two_raters_and_pairs_need_shared_items():
    assert "exactly two raters" in cohen_kappa(as_matrix([[1, 2, 1], [2, 2, 1]])).why
    # Three raters, each pair shares one item only: no pair has a kappa.
    m = as_matrix([[1, 2, N], [N, 1, 2], [2, N, 1]])
    assert "no pair of raters" in mean_pairwise_cohen_kappa(m).why


def test_unknown_level_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown level of measurement 'nominall'"):
        krippendorff_alpha(as_matrix([[1, 2], [2, 1]]), level="nominall")


def test_result_as_dict():
    result = percent_agreement_ci(units(GWET_4RATERS), resamples=200, seed=3)
    d = result.as_dict()
    assert set(d) == {"value", "ci_low", "ci_high", "n_items", "n_raters", "why"}
    assert d["why"] is None and d["n_items"] == 11 and d["n_raters"] == 4
    assert Agreement(value=None, n_items=0, n_raters=1, why=ONE_RATER).as_dict()["why"] == ONE_RATER


# Bootstrap intervals on raters who copy a true label with probability p (else pick uniformly among q).


def copying_raters(n_items, *, raters=3, q=3, p=0.7, seed=0, missing=0.0):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, q, n_items)
    copy = rng.random((n_items, raters)) < p
    m = np.where(copy, truth[:, None], rng.integers(0, q, (n_items, raters))).astype(float)
    m[rng.random((n_items, raters)) < missing] = np.nan
    return m


def true_kappa(q=3, p=0.7):
    """Two ratings agree with probability a^2 + (q-1) b^2, a = p + (1-p)/q, b = (1-p)/q; labels are
    uniform, so chance agreement is 1/q for kappa, alpha (in the limit) and AC1 alike."""
    a, b = p + (1 - p) / q, (1 - p) / q
    agree = a * a + (q - 1) * b * b
    return (agree - 1 / q) / (1 - 1 / q), agree


INTERVALS = {
    "krippendorff_alpha": lambda m, **kw: krippendorff_alpha_ci(m, level="nominal", **kw),
    "fleiss_kappa": fleiss_kappa_ci,
    "gwet_ac1": gwet_ac1_ci,
    "mean_pairwise_cohen_kappa": mean_pairwise_cohen_kappa_ci,
    "percent_agreement": percent_agreement_ci,
}


@pytest.mark.parametrize("name", INTERVALS)
def test_interval_holds_the_estimate_and_narrows_with_items(name):
    widths = []
    for n_items in (60, 600):
        result = INTERVALS[name](copying_raters(n_items, seed=n_items), resamples=400, seed=1)
        assert result.ci_low <= result.value <= result.ci_high
        widths.append(result.ci_high - result.ci_low)
    assert widths[1] < widths[0] / 2  # ten times the items: about a third of the width


@pytest.mark.parametrize("name", INTERVALS)
def test_interval_covers_the_true_agreement(name):
    """Twenty simulated batches of 100 items: a 95% interval holds the known truth in (nearly) all of them
    (fewer than 17 of 20 would happen with probability below 2% if the coverage were 95%)."""
    kappa, agree = true_kappa()
    truth = agree if name == "percent_agreement" else kappa
    covered = 0
    for batch in range(20):
        result = INTERVALS[name](copying_raters(100, seed=100 + batch), resamples=200, seed=batch)
        covered += result.ci_low <= truth <= result.ci_high
    assert covered >= 17


def test_missing_ratings_keep_alpha_and_ac1_defined_with_intervals():
    m = copying_raters(300, raters=4, missing=0.3, seed=5)
    kappa, _ = true_kappa()
    for result in (krippendorff_alpha_ci(m, level="nominal", resamples=300), gwet_ac1_ci(m, resamples=300)):
        assert result.ci_low <= kappa <= result.ci_high
    assert fleiss_kappa_ci(m).why.startswith("items have different numbers of ratings")


def test_resampling_by_weights_reproduces_the_estimates():
    """Weight 1 on every item is the data itself: the bootstrap's formulas give the published figures
    (Gwet 2014 p. 120: pa 0.818, AC1 0.775), and statsmodels' Fleiss' kappa on simulated ratings."""
    four = units(GWET_4RATERS)
    rated = four[(~np.isnan(four)).any(axis=1)]
    ones = np.ones((1, len(rated)))
    assert round(percent_agreement_weighted(rated, ones)[0], 3) == 0.818
    assert round(gwet_ac1_weighted(rated, ones)[0], 3) == 0.775
    sim = as_matrix(copying_raters(40, raters=4, seed=9))
    assert fleiss_kappa_weighted(sim, np.ones((1, 40)))[0] == pytest.approx(fleiss_kappa(sim).value)
    # An item drawn twice counts twice.
    doubled = np.vstack([sim, sim[:1]])
    w = np.ones((1, 40))
    w[0, 0] = 2
    assert gwet_ac1_weighted(sim, w)[0] == pytest.approx(gwet_ac1(doubled).value)


def test_bootstrap_is_repeatable_and_bounded():
    m = copying_raters(80)
    assert gwet_ac1_ci(m, seed=7) == gwet_ac1_ci(m, seed=7)
    assert gwet_ac1_ci(m, seed=7) != gwet_ac1_ci(m, seed=8)
    with pytest.raises(ValueError, match="resamples must be between 1 and"):
        next(resample_weights(10, resamples=10**7))


def test_every_level_is_accepted():
    m = units(KRIPPENDORFF_OBSERVERS)
    assert all(krippendorff_alpha(m, level=level).defined for level in LEVELS)

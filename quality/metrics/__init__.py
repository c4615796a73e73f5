"""Agreement coefficients as pure functions over an items x raters matrix (no ORM, no Django)."""

from quality.metrics.agreement import (
    LEVELS,
    Agreement,
    cohen_kappa,
    encode,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    mean_pairwise_cohen_kappa,
    percent_agreement,
)

__all__ = [
    "LEVELS",
    "Agreement",
    "cohen_kappa",
    "encode",
    "fleiss_kappa",
    "gwet_ac1",
    "krippendorff_alpha",
    "mean_pairwise_cohen_kappa",
    "percent_agreement",
]

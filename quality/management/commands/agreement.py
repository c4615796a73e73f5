"""manage.py agreement --csv FILE --level nominal|ordinal|interval|ratio [--resamples N] [--seed S]

Reads one rating per row from a CSV file with the columns item, annotator, value (an item an annotator
did not rate is simply absent; a blank value is missing too) and prints one JSON object: every
coefficient of quality.metrics, null with a `<name>_why` when undefined, `n_items`, `n_annotators` and
`ci`, the 95% percentile bootstrap interval over items of each coefficient (null when undefined).
Bad input is a CommandError naming the line or the column.
"""

import csv
import json
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from annotations.inputs import InputError, integer_check, number_check, text_check
from quality.metrics.agreement import LEVELS
from quality.metrics.bootstrap import (
    MAX_RESAMPLES,
    RESAMPLES,
    fleiss_kappa_ci,
    gwet_ac1_ci,
    krippendorff_alpha_ci,
    mean_pairwise_cohen_kappa_ci,
    percent_agreement_ci,
)

COLUMNS = ("item", "annotator", "value")
# Pairwise Cohen's kappa weighs a disagreement by how far apart the two values are where the level orders them.
COHEN_WEIGHTS = {"nominal": None, "ordinal": "linear", "interval": "quadratic", "ratio": "quadratic"}


def ratings_read(path: Path, *, level: str) -> tuple[np.ndarray, list[str], list[str]]:
    """(items x annotators matrix with NaN for missing, item ids, annotator ids) from the CSV file."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            return _ratings_parse(csv.DictReader(stream), path=path, level=level)
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path} is not UTF-8 text (byte {exc.start}).") from None


def _ratings_parse(reader: csv.DictReader, *, path: Path, level: str):
    try:
        header = [name.strip() for name in reader.fieldnames or []]
    except csv.Error as exc:
        raise CommandError(f"{path}, line 1: {exc}.") from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise CommandError(
            f"{path}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
            f"the header must name {', '.join(COLUMNS)} (found {', '.join(header) or 'nothing'})."
        )
    reader.fieldnames = header
    seen: dict[tuple[str, str], int] = {}
    ratings: dict[tuple[str, str], str | float] = {}
    items: dict[str, None] = {}
    annotators: dict[str, None] = {}
    try:
        for row in reader:
            line = reader.line_num
            item, annotator, raw = (_cell(row, c, line) for c in COLUMNS)
            if not item or not annotator:
                raise CommandError(f"line {line}: the {'item' if not item else 'annotator'} is blank.")
            items.setdefault(item)
            annotators.setdefault(annotator)
            if (item, annotator) in seen:
                raise CommandError(
                    f"line {line}: {annotator!r} rated item {item!r} twice (first on line {seen[item, annotator]})."
                )
            seen[item, annotator] = line
            if raw:
                ratings[item, annotator] = _value(raw, level=level, line=line)
    except csv.Error as exc:
        raise CommandError(f"line {reader.line_num}: {exc}.") from None
    if not items:
        raise CommandError(f"{path} holds no ratings.")
    return _matrix(ratings, list(items), list(annotators), level=level)


def _cell(row: dict, column: str, line: int) -> str:
    raw = row.get(column)
    try:
        return text_check((raw or "").strip(), field=column)
    except InputError as exc:
        raise CommandError(f"line {line}, column {column}: {exc}") from None


def _value(raw: str, *, level: str, line: int) -> str | float:
    if level == "nominal":
        return raw
    try:
        return number_check(raw, field="value", minimum=0 if level == "ratio" else None)
    except InputError as exc:
        raise CommandError(
            f"line {line}, column value: {str(exc).rstrip('.')}; the {level} level needs numbers."
        ) from None


def _matrix(ratings: dict, items: list[str], annotators: list[str], *, level: str):
    if level == "nominal":
        labels = sorted(set(ratings.values()))
        code = {label: float(i) for i, label in enumerate(labels)}
        ratings = {key: code[v] for key, v in ratings.items()}
    row = {item: i for i, item in enumerate(items)}
    col = {annotator: j for j, annotator in enumerate(annotators)}
    m = np.full((len(items), len(annotators)), np.nan)
    for (item, annotator), value in ratings.items():
        m[row[item], col[annotator]] = value
    return m, items, annotators


def agreement_report(m: np.ndarray, *, level: str, resamples: int = RESAMPLES, seed: int = 0) -> dict:
    """Every coefficient for the matrix, as the command prints it."""
    boot = {"resamples": resamples, "seed": seed}
    results = {
        "krippendorff_alpha": krippendorff_alpha_ci(m, level=level, **boot),
        "fleiss_kappa": fleiss_kappa_ci(m, **boot),
        "mean_pairwise_cohen_kappa": mean_pairwise_cohen_kappa_ci(m, weights=COHEN_WEIGHTS[level], **boot),
        "gwet_ac1": gwet_ac1_ci(m, **boot),
        "percent_agreement": percent_agreement_ci(m, **boot),
    }
    rated = ~np.isnan(m)
    report: dict = {
        "level": level,
        "n_items": int(m.shape[0]),
        "n_annotators": int(m.shape[1]),
        "n_ratings": int(rated.sum()),
        "n_items_rated_twice": int((rated.sum(axis=1) >= 2).sum()),
        "cohen_weights": COHEN_WEIGHTS[level] or "unweighted",
    }
    ci: dict = {}
    for name, result in results.items():
        report[name] = result.value
        if not result.defined:
            report[f"{name}_why"] = result.why
        ci[name] = [result.ci_low, result.ci_high] if result.defined and result.ci_low is not None else None
    report["ci"] = ci
    report["bootstrap"] = {**boot, "confidence": 0.95, "over": "items"}
    return report


class Command(BaseCommand):
    help = (
        "Agreement coefficients (Krippendorff's alpha, Fleiss' kappa, mean pairwise Cohen's kappa, Gwet's AC1, "
        "percent agreement) with bootstrap 95% intervals, from a CSV file of item,annotator,value rows; "
        "prints one JSON object."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True, metavar="FILE", help="CSV file with columns item,annotator,value")
        parser.add_argument("--level", required=True, choices=LEVELS, help="level of measurement of the values")
        parser.add_argument(
            "--resamples",
            default=str(RESAMPLES),
            help=f"bootstrap resamples, 1 to {MAX_RESAMPLES} (default {RESAMPLES})",
        )
        parser.add_argument("--seed", default="0", help="bootstrap seed (default 0)")

    def handle(self, *args, level, resamples=str(RESAMPLES), seed="0", **options):
        csv_path = options["csv"]
        try:
            resamples = integer_check(resamples, field="--resamples", minimum=1, maximum=MAX_RESAMPLES)
            seed = integer_check(seed, field="--seed", minimum=0, maximum=2**32 - 1)
        except InputError as exc:
            raise CommandError(str(exc)) from None
        path = Path(csv_path)
        if not path.is_file():
            raise CommandError(f"No such file: {csv_path}")
        m, _, _ = ratings_read(path, level=level)
        self.stdout.write(json.dumps(agreement_report(m, level=level, resamples=resamples, seed=seed)))

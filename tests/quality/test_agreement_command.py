"""`manage.py agreement --csv FILE --level ...` on temporary CSV files: the published figures come out of
a long item,annotator,value file with missing cells and blank values, and bad input is a CommandError
naming the line or the column."""

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

N = None
# Krippendorff's reliability data (4 observers x 12 units, missing cells; Gwet 2014, Handbook of
# Inter-Rater Reliability, 4th ed., p. 120), the same table as in test_metrics.
OBSERVERS = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
KEYS = {
    "krippendorff_alpha",
    "fleiss_kappa",
    "mean_pairwise_cohen_kappa",
    "gwet_ac1",
    "percent_agreement",
    "n_items",
    "n_annotators",
    "ci",
}


def write(tmp_path, text, name="ratings.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def long_csv(observers, *, blank_for_missing=False):
    """item,annotator,value rows; a missing cell is no row at all, or a row with a blank value."""
    lines = ["item,annotator,value"]
    for coder, row in enumerate(observers, start=1):
        for unit, value in enumerate(row, start=1):
            if value is not None:
                lines.append(f"u{unit},coder{coder},{value}")
            elif blank_for_missing:
                lines.append(f"u{unit},coder{coder},")
    return "\n".join(lines) + "\n"


def run(path, level, **options):
    out = StringIO()
    call_command("agreement", csv=str(path), level=level, stdout=out, **options)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1  # one JSON object
    return json.loads(lines[0])


@pytest.mark.parametrize("blank", [False, True])
def test_published_alpha_ac1_and_agreement_from_a_file_with_missing_cells(tmp_path, blank):
    """Nominal alpha 0.743 and interval 0.849 (Krippendorff's data; irrCAC's tests), AC1 0.775 and
    percent agreement 0.818 (Gwet 2014, p. 120; irrCAC's tests)."""
    path = write(tmp_path, long_csv(OBSERVERS, blank_for_missing=blank))
    report = run(path, "nominal", resamples="300")
    assert set(report) >= KEYS
    assert round(report["krippendorff_alpha"], 3) == 0.743
    assert round(report["gwet_ac1"], 3) == 0.775
    assert round(report["percent_agreement"], 3) == 0.818
    assert (report["n_items"], report["n_annotators"]) == (12, 4)
    assert report["fleiss_kappa"] is None
    assert "different numbers of ratings" in report["fleiss_kappa_why"]
    assert report["ci"]["fleiss_kappa"] is None
    for name in ("krippendorff_alpha", "gwet_ac1", "percent_agreement", "mean_pairwise_cohen_kappa"):
        low, high = report["ci"][name]
        assert low <= report[name] <= high
    assert round(run(path, "interval", resamples="50")["krippendorff_alpha"], 3) == 0.849
    assert round(run(path, "ordinal", resamples="50")["krippendorff_alpha"], 3) == 0.815
    assert round(run(path, "ratio", resamples="50")["krippendorff_alpha"], 3) == 0.797


def test_fleiss_kappa_when_every_item_has_the_same_number_of_ratings(tmp_path):
    """Gwet's gender data in irrCAC (4 raters x 15 subjects, complete): Fleiss' kappa 0.129, AC1 0.208,
    percent agreement 0.456 (irrCAC's tests, dataset raw_gender)."""
    raters = [
        "aaaaabbbcaaaaab",
        "aaaababccaaaaba",
        "abbcaabbcabbcaa",
        "ccccaabbcccccaa",
    ]
    lines = ["annotator,item,value"]  # column order does not matter
    lines += [f"r{r},s{s},{label}" for r, row in enumerate(raters) for s, label in enumerate(row)]
    report = run(write(tmp_path, "\n".join(lines)), "nominal", resamples="200")
    assert round(report["fleiss_kappa"], 3) == 0.129
    assert "fleiss_kappa_why" not in report
    assert round(report["gwet_ac1"], 3) == 0.208
    assert round(report["percent_agreement"], 3) == 0.456
    low, high = report["ci"]["fleiss_kappa"]
    assert low <= 0.129 <= high


def test_undefined_coefficients_say_why(tmp_path):
    path = write(tmp_path, "item,annotator,value\n1,a,yes\n1,b,yes\n2,a,yes\n2,b,yes\n")
    report = run(path, "nominal", resamples="20")
    for name in ("krippendorff_alpha", "fleiss_kappa", "mean_pairwise_cohen_kappa", "gwet_ac1"):
        assert report[name] is None and report["ci"][name] is None
        assert "same value" in report[f"{name}_why"] or "more than one value" in report[f"{name}_why"]
    assert report["percent_agreement"] == 1.0
    one_rater = run(write(tmp_path, "item,annotator,value\n1,a,x\n2,a,y\n", "one.csv"), "nominal")
    assert one_rater["krippendorff_alpha_why"] == "only one rater has rated anything"


@pytest.mark.parametrize(
    ("text", "level", "message"),
    [
        ("item,annotator\n1,a\n", "nominal", "missing column value"),
        ("item,rater,score\n1,a,2\n", "nominal", "missing columns annotator, value"),
        ("item,annotator,value\n1,a,2\n1,b,two\n", "interval", "line 3, column value: value must be a number"),
        ("item,annotator,value\n1,a,2\n1,b,-1\n", "ratio", "line 3, column value: value must be at least 0"),
        ("item,annotator,value\n1,a,2\n2,a,nan\n", "ordinal", "line 3, column value: value must be a finite"),
        ("item,annotator,value\n1,a,x\n1,a,y\n", "nominal", "line 3: 'a' rated item '1' twice (first on line 2)"),
        ("item,annotator,value\n1,,x\n", "nominal", "line 2: the annotator is blank"),
        ("item,annotator,value\n", "nominal", "holds no ratings"),
    ],
)
def test_bad_files_name_the_line_or_column(tmp_path, text, level, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run(write(tmp_path, text), level)


def test_unreadable_or_missing_file_and_unknown_level(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run(tmp_path / "absent.csv", "nominal")
    binary = tmp_path / "latin.csv"
    binary.write_bytes(b"item,annotator,value\n1,a,caf\xe9\n")
    with pytest.raises(CommandError, match="is not UTF-8 text"):
        run(binary, "nominal")
    path = write(tmp_path, long_csv(OBSERVERS))
    with pytest.raises(CommandError, match="invalid choice: 'nominall'"):
        call_command("agreement", "--csv", str(path), "--level", "nominall", stdout=StringIO())
    with pytest.raises(CommandError, match="invalid choice: 'bogus'"):
        run(path, "bogus")
    with pytest.raises(CommandError, match="--resamples must be between 1 and"):
        run(path, "nominal", resamples="0")

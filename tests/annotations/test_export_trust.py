"""Exports a team can trust: every row says how it was reviewed, rejected work stays out unless asked
for, filters are checked and recorded with what they left out, and CSV cells never run as formulas."""

import csv
import io
import json

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotations import hooks
from annotations.models import Export, ExportItem, GuidelineVersion, Project, Review
from annotations.services.io import export_create, export_rows, export_stream
from annotations.services.review import review_create
from tests.annotations.review_helpers import rubric_add, submitted

COMPARE = {
    "dimensions": {"accuracy": {"choice": "a", "strength": 2}, "helpfulness": {"choice": "a", "strength": 1}},
    "overall": {"choice": "a", "strength": 2},
    "rationale": "A is right.",
}
# accuracy weighs 2, clarity and completeness 1 (review_helpers.DIMENSIONS)
HIGH = {"accuracy": 5, "clarity": 5, "completeness": 5}  # weighted 5.0
MID = {"accuracy": 4, "clarity": 2, "completeness": 2}  # weighted (8 + 2 + 2) / 4 = 3.0
LOW = {"accuracy": 1, "clarity": 3, "completeness": 3}  # weighted (2 + 3 + 3) / 4 = 2.0


@pytest.fixture
def world(make_project, make_user, reviewer):
    """Four annotations on one project: accepted (5.0), accepted (3.0), rejected (2.0), unreviewed."""

    def build(kind=Project.Kind.WRITE):
        people = [make_user(f"w{i}") for i in range(4)]
        project = make_project(kind, members=[*people, reviewer], tasks=4, double_review_rate=0.0)
        rubric_add(project)
        result = COMPARE if kind == Project.Kind.COMPARE else None
        work = [submitted(project, person, result=result) for person in people]
        review_create(annotation=work[0], reviewer=reviewer, scores=HIGH, verdict="accept")
        review_create(annotation=work[1], reviewer=reviewer, scores=MID, verdict="accept")
        review_create(annotation=work[2], reviewer=reviewer, scores=LOW, verdict="reject", feedback="Wrong facts.")
        return project, work

    return build


def _status(rows) -> dict:
    return {r["annotation_id"]: (r["review_status"], r["review_verdicts"], r["review_score"]) for r in rows}


def test_rejected_work_is_left_out_by_default_and_every_jsonl_row_says_how_it_was_reviewed(world):
    project, (best, good, rejected, fresh) = world()
    export = export_create(project=project, fmt="jsonl")
    rows = list(export_rows(export=export))
    assert _status(rows) == {
        best.pk: ("accepted", ["accept"], 5.0),
        good.pk: ("accepted", ["accept"], 3.0),
        fresh.pk: ("unreviewed", [], None),
    }
    assert export.annotation_count == 3
    export.refresh_from_db()
    assert export.left_out == {"rejected": 1}
    assert export.filters == {
        "include_rejected": False,
        "accepted_only": False,
        "min_score": None,
        "exclude_flagged": False,
        "exclude_guideline_versions": [],
    }
    assert rejected.pk not in set(ExportItem.objects.filter(export=export).values_list("annotation_id", flat=True))


def test_rejected_work_is_exported_only_when_asked_for_and_then_says_so(world):
    project, (_, _, rejected, _) = world()
    export = export_create(project=project, fmt="jsonl", filters={"include_rejected": True})
    rows = {r["annotation_id"]: r for r in export_rows(export=export)}
    assert (rows[rejected.pk]["review_status"], rows[rejected.pk]["review_verdicts"]) == ("rejected", ["reject"])
    assert rows[rejected.pk]["review_score"] == 2.0
    assert export.annotation_count == 4 and export.left_out == {}


def test_a_rejected_pair_never_reaches_trl_and_pairs_carry_their_status(world):
    project, (best, good, rejected, fresh) = world(Project.Kind.COMPARE)
    rows = list(export_rows(export=export_create(project=project, fmt="trl")))
    assert _status(rows) == {
        best.pk: ("accepted", ["accept"], 5.0),
        good.pk: ("accepted", ["accept"], 3.0),
        fresh.pk: ("unreviewed", [], None),
    }
    assert rejected.pk not in {r["annotation_id"] for r in rows}


def test_csv_rows_carry_review_status_verdicts_and_score(world):
    project, (best, good, _, fresh) = world()
    text = "".join(export_stream(export=export_create(project=project, fmt="csv")))
    header, *rows = list(csv.reader(io.StringIO(text)))
    records = {int(r[0]): dict(zip(header, r, strict=True)) for r in rows}
    assert set(records) == {best.pk, good.pk, fresh.pk}
    assert (records[best.pk]["review_status"], records[best.pk]["review_verdicts"]) == ("accepted", "accept")
    assert float(records[best.pk]["review_score"]) == 5.0
    assert (records[fresh.pk]["review_status"], records[fresh.pk]["review_score"]) == ("unreviewed", "")


def test_filters_leave_out_work_and_record_how_much_for_each_reason(world, make_user):
    project, (best, good, rejected, fresh) = world()
    export = export_create(project=project, fmt="jsonl", filters={"accepted_only": True, "min_score": 4})
    assert [r["annotation_id"] for r in export_rows(export=export)] == [best.pk]
    export.refresh_from_db()
    # Each left-out annotation is counted once, under the first reason that applies.
    assert export.left_out == {"rejected": 1, "not_accepted": 1, "below_min_score": 1}
    assert export.filters["accepted_only"] is True and export.filters["min_score"] == 4.0

    scored = export_create(project=project, fmt="jsonl", filters={"min_score": "3"})
    assert {r["annotation_id"] for r in export_rows(export=scored)} == {best.pk, good.pk}
    assert scored.left_out == {"rejected": 1, "unscored": 1}


def test_a_double_reviewed_version_is_rejected_if_any_reviewer_rejected_it(make_project, make_user, reviewer):
    second = make_user("rev2", "reviewer")
    author = make_user("author")
    project = make_project(members=[author, reviewer, second], tasks=1, double_review_rate=0.0)
    rubric_add(project)
    work = submitted(project, author, reviews_wanted=2)
    review_create(annotation=work, reviewer=reviewer, scores=HIGH, verdict="accept")
    review_create(annotation=work, reviewer=second, scores=LOW, verdict="reject", feedback="Invented a source.")
    export = export_create(project=project, fmt="jsonl", filters={"include_rejected": True})
    [row] = list(export_rows(export=export))
    assert (row["review_status"], sorted(row["review_verdicts"]), row["review_score"]) == (
        "rejected",
        ["accept", "reject"],
        3.5,
    )


def test_exclude_flagged_uses_the_flags_the_provenance_hook_reports(world, hook_override):
    project, (best, good, _, fresh) = world()

    def provenance(*, annotations):
        return {a.pk: {"flags": [{"flag": "paste_dominant"}] if a.pk == good.pk else []} for a in annotations}

    hook_override(hooks.EXPORT_PROVENANCE, provenance)
    export = export_create(project=project, fmt="csv", filters={"exclude_flagged": True})
    held = set(ExportItem.objects.filter(export=export).values_list("annotation_id", flat=True))
    assert held == {best.pk, fresh.pk}
    assert export.left_out == {"rejected": 1, "flagged": 1}


def test_exclude_a_guideline_version(world):
    project, (best, good, _, fresh) = world()
    v2 = GuidelineVersion.objects.create(project=project, number=2, text="v2")
    type(best).objects.filter(pk=good.pk).update(guideline_version=v2)
    export = export_create(project=project, fmt="jsonl", filters={"exclude_guideline_versions": [1]})
    assert [r["annotation_id"] for r in export_rows(export=export)] == [good.pk]
    assert export.left_out == {"rejected": 1, "guideline_version": 2}
    assert export.filters["exclude_guideline_versions"] == [1]


@pytest.mark.parametrize(
    ("filters", "field", "message"),
    [
        ({"accepted_only": "maybe"}, "accepted_only", "accepted_only must be true or false, not 'maybe'."),
        ({"include_rejected": 2}, "include_rejected", "include_rejected must be true or false, not 2."),
        ({"exclude_flagged": None}, "exclude_flagged", "exclude_flagged must be true or false, not None."),
        ({"min_score": "high"}, "min_score", "min_score must be a number, not 'high'."),
        ({"min_score": "nan"}, "min_score", "min_score must be a finite number."),
        ({"min_score": 1e400}, "min_score", "min_score must be a finite number."),
        ({"min_score": -1}, "min_score", "min_score must be between 0 and 1000, not -1.0."),
        ({"exclude_guideline_versions": ["²"]}, "exclude_guideline_versions", None),
        ({"exclude_guideline_versions": [7]}, "exclude_guideline_versions", None),
        ({"exclude_guideline_versions": {"a": 1}}, "exclude_guideline_versions", None),
        ({"colour": "red"}, "filters", "Unknown filter(s): colour; use accepted_only, "),
    ],
)
def test_a_bad_filter_is_refused_naming_the_field_and_nothing_is_recorded(make_project, filters, field, message):
    project = make_project(tasks=0)
    with pytest.raises(ValidationError) as caught:
        export_create(project=project, fmt="jsonl", filters=filters)
    errors = caught.value.message_dict
    assert list(errors) == [field]
    if message:
        assert errors[field][0].startswith(message)
    assert not Export.objects.exists()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(alphabet=st.characters(blacklist_categories=()), max_size=20),
        st.lists(st.integers(min_value=-(2**70), max_value=2**70), max_size=3),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    ),
    field=st.sampled_from(
        ["accepted_only", "include_rejected", "exclude_flagged", "min_score", "exclude_guideline_versions"]
    ),
)
def test_any_filter_value_is_taken_or_refused_by_name_never_an_exception(db, field, value):
    from annotations.services.io_export import export_filters_clean

    project = Project.objects.get_or_create(slug="hypo", defaults={"name": "Hypo", "kind": "write"})[0]
    GuidelineVersion.objects.get_or_create(project=project, number=1, defaults={"text": "g"})
    try:
        clean = export_filters_clean(project=project, raw={field: value})
    except ValidationError as exc:
        assert list(exc.message_dict) == [field]
    else:
        json.dumps(clean, allow_nan=False)  # recordable as it is


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\tx", "\rx"]
)
def test_csv_cells_never_begin_a_formula(make_project, annotator, text):
    project = make_project(members=[annotator], tasks=1)
    project.tasks.update(external_id=text, domain_tags=[text])
    stored = submitted(project, annotator, result={"text": text + " and more"}).result["text"]
    rows = list(csv.reader(io.StringIO("".join(export_stream(export=export_create(project=project, fmt="csv"))))))
    header, row = rows
    record = dict(zip(header, row, strict=True))
    for column in ("task_external_id", "domain_tags"):
        assert record[column] == "'" + text, column
    # The answer's text is stripped when submitted (a leading tab or CR does not survive that).
    assert record["text"] == ("'" + stored if stored[0] in "=+-@" else stored)
    assert json.loads(record["result"]) == {"text": stored}  # the JSON cell begins with '{' and keeps the text
    for cell in row:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_review_status_in_rows_is_the_one_recorded_when_the_export_was_made(world, make_user):
    project, (best, *_) = world()
    export = export_create(project=project, fmt="jsonl")
    Review.objects.filter(annotation=best).update(verdict="reject")  # a later change of mind
    rows = {r["annotation_id"]: r for r in export_rows(export=export)}
    assert rows[best.pk]["review_status"] == "accepted"


def test_exclude_flagged_leaves_out_work_telemetry_flagged(world):
    """Through the hook telemetry registers: flags stored with the signals; none computed is not flagged."""
    from telemetry.models import AnnotationSignals

    project, (best, good, _, fresh) = world()
    paste = {"flag": "paste_dominant", "values": {"pasted_fraction": 1.0}, "threshold": 0.6}
    AnnotationSignals.objects.create(annotation=good, flags=[paste])
    AnnotationSignals.objects.create(annotation=best, flags=[])
    export = export_create(project=project, fmt="jsonl", filters={"exclude_flagged": True})
    assert {r["annotation_id"] for r in export_rows(export=export)} == {best.pk, fresh.pk}
    assert export.left_out == {"rejected": 1, "flagged": 1}


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=30))
def test_no_csv_cell_can_begin_a_formula_and_nothing_else_changes(text):
    from annotations.services.io_export import csv_cell

    cell = csv_cell(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell == text or cell == "'" + text
    assert csv_cell(7) == 7 and csv_cell(-2.5) == -2.5  # numbers we computed stay numbers

"""Exports: provenance per annotation, exactly the annotations recorded, TRL pairs, CSV, streaming."""

import csv
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations import hooks
from annotations.models import Adjudication, Annotation, Export, ExportItem, GuidelineVersion, Review, Task
from annotations.services.io import export_create, export_rows, export_stream, outcome_report_create
from annotations.services.routing import assignment_next
from annotations.services.work import annotation_start, annotation_submit

COMPARE = {
    "dimensions": {"accuracy": {"choice": "a", "strength": 2}, "helpfulness": {"choice": "tie"}},
    "overall": {"choice": "b", "strength": 3},
    "rationale": "B answers the question.",
}


def _do(project, user, result, *, active_seconds=30.0) -> Annotation:
    assignment = assignment_next(project=project, user=user)
    annotation = annotation_start(assignment=assignment)
    return annotation_submit(annotation=annotation, result=result, active_seconds=active_seconds)


def test_jsonl_carries_provenance_reviews_adjudications_and_hook_fields(
    make_project, annotator, other_annotator, reviewer, hook_override
):
    project = make_project(members=[annotator, other_annotator], tasks=1, overlap=2)
    Task.objects.filter(project=project).update(difficulty=4, domain_tags=["law", "tax"])
    GuidelineVersion.objects.create(project=project, number=2, text="v2")
    mine = _do(project, annotator, {"text": "Mine."}, active_seconds=42.5)
    theirs = _do(project, other_annotator, {"text": "Theirs."})
    Review.objects.create(
        annotation=mine,
        reviewer=reviewer,
        scores={"accuracy": 4},
        verdict="accept",
        exemplary=True,
        feedback="Clear.",
        guideline_version=project.guideline_versions.get(number=2),
        seconds_spent=61.0,
    )
    Adjudication.objects.create(
        task=mine.task, adjudicator=reviewer, final_result={"text": "Final."}, reasoning="Mine is closer."
    )

    def provenance(*, annotations):
        return {
            a.pk: {"signals": {"pasted_fraction": 0.0}, "flags": [], "annotator_id": "never overrides"}
            for a in annotations
        }

    hook_override(hooks.EXPORT_PROVENANCE, provenance)
    export = export_create(project=project, fmt="jsonl")
    rows = {r["annotation_id"]: r for r in export_rows(export=export)}

    assert set(rows) == {mine.pk, theirs.pk}
    row = rows[mine.pk]
    assert row["export"] == str(export.uid)
    assert row["annotator_id"] == annotator.pk
    assert row["guideline_version"] == 2
    assert row["version"] == 1
    assert row["result"] == {"text": "Mine."}
    assert row["task"]["difficulty"] == 4 and row["task"]["domain_tags"] == ["law", "tax"]
    assert row["task"]["payload"] == {"prompt": "Explain thing 0"}
    assert row["timings"]["active_seconds"] == 42.5
    assert row["timings"]["submitted_at"] == mine.submitted_at.isoformat()
    assert row["timings"]["started_at"] == mine.started_at.isoformat()
    assert row["reviews"] == [
        {
            "reviewer_id": reviewer.pk,
            "verdict": "accept",
            "scores": {"accuracy": 4},
            "exemplary": True,
            "feedback": "Clear.",
            "guideline_version": 2,
            "annotation_version": 1,
            "seconds_spent": 61.0,
            "created_at": Review.objects.get().created_at.isoformat(),
        }
    ]
    assert [a["reasoning"] for a in row["adjudications"]] == ["Mine is closer."]
    assert rows[theirs.pk]["adjudications"] == row["adjudications"]  # the task's log, on every row
    assert rows[theirs.pk]["reviews"] == []
    assert row["signals"] == {"pasted_fraction": 0.0} and row["flags"] == []


def test_an_export_holds_exactly_its_annotations_at_their_version(make_project, make_user):
    people = [make_user(f"p{i}") for i in range(3)]
    project = make_project(members=people, tasks=1, overlap=3)
    first = _do(project, people[0], {"text": "First, v1."})
    _do(project, people[1], {"text": "Second."})
    draft = annotation_start(assignment=assignment_next(project=project, user=people[2]))

    export = export_create(project=project, fmt="jsonl")
    assert export.annotation_count == 2
    held = set(ExportItem.objects.filter(export=export).values_list("annotation_id", "annotation_version"))
    assert draft.pk not in {a for a, _ in held}
    assert (first.pk, 1) in held

    # Sent back and resubmitted after the export: the export still holds (and streams) version 1.
    Annotation.objects.filter(pk=first.pk).update(state=Annotation.State.RETURNED)
    first.refresh_from_db()
    annotation_submit(annotation=first, result={"text": "First, v2."})
    rows = {r["annotation_id"]: r for r in export_rows(export=export)}
    assert rows[first.pk]["result"] == {"text": "First, v1."} and rows[first.pk]["version"] == 1
    later = export_create(project=project, fmt="jsonl")
    assert {r["annotation_id"]: r["version"] for r in export_rows(export=later)}[first.pk] == 2


def test_trl_pairs_have_a_known_answer_and_ties_are_counted_not_written(make_project, annotator, other_annotator):
    project = make_project("compare", members=[annotator, other_annotator], tasks=1, overlap=2)
    picked = _do(project, annotator, COMPARE)
    tie = dict(COMPARE, overall={"choice": "tie"})
    _do(project, other_annotator, tie)

    export = export_create(project=project, fmt="trl")
    assert (export.annotation_count, export.skipped_ties) == (1, 1)
    assert list(ExportItem.objects.filter(export=export).values_list("annotation_id", flat=True)) == [picked.pk]
    [row] = list(export_rows(export=export))
    assert {k: row[k] for k in ("prompt", "chosen", "rejected", "margin", "dimensions")} == {
        "prompt": "Q0",
        "chosen": "B0",
        "rejected": "A0",
        "margin": 3,
        "dimensions": {
            "accuracy": {"preferred": "rejected", "strength": 2},
            "helpfulness": {"preferred": "tie", "strength": 0},
        },
    }
    assert row["annotator_id"] == annotator.pk and row["guideline_version"] == 1


def test_csv_has_a_column_per_comparison_dimension(make_project, annotator):
    project = make_project("compare", members=[annotator], tasks=1)
    annotation = _do(project, annotator, COMPARE)
    export = export_create(project=project, fmt="csv")
    text = "".join(export_stream(export=export))
    header, row = list(csv.reader(io.StringIO(text)))
    record = dict(zip(header, row, strict=True))
    assert header[-8:] == [
        "overall",
        "overall_strength",
        "accuracy",
        "accuracy_strength",
        "helpfulness",
        "helpfulness_strength",
        "rationale",
        "result",
    ]
    assert record["annotation_id"] == str(annotation.pk)
    assert (record["overall"], record["overall_strength"], record["accuracy"], record["helpfulness"]) == (
        "b",
        "3",
        "a",
        "tie",
    )
    assert json.loads(record["result"])["rationale"] == "B answers the question."


def test_export_is_streamed_in_chunks_with_a_fixed_number_of_queries_per_chunk(make_project, make_user, reviewer):
    def queries_for(n: int) -> tuple[int, int]:
        people = [make_user(f"s{n}-{i}") for i in range(n)]
        project = make_project(members=people, tasks=1, overlap=n, slug=f"stream-{n}")
        for person in people:
            annotation = _do(project, person, {"text": f"by {person.username}"})
            Review.objects.create(annotation=annotation, reviewer=reviewer, verdict="accept", scores={"a": 3})
        export = export_create(project=project, fmt="jsonl")
        with CaptureQueriesContext(connection) as ctx:
            pieces = list(export_stream(export=export, chunk_size=1000))
        return len(pieces), len(ctx.captured_queries)

    assert queries_for(2) == queries_for(6)  # one piece, same queries, whatever the chunk holds

    people = [make_user(f"c{i}") for i in range(5)]
    project = make_project(members=people, tasks=1, overlap=5, slug="chunks")
    for person in people:
        _do(project, person, {"text": "x"})
    pieces = list(export_stream(export=export_create(project=project, fmt="jsonl"), chunk_size=2))
    assert [piece.count("\n") for piece in pieces] == [2, 2, 1]


def test_the_export_command_writes_a_file_and_records_it(make_project, annotator, tmp_path):
    project = make_project("compare", members=[annotator], tasks=1, slug="pairs")
    _do(project, annotator, COMPARE)
    out, err = tmp_path / "pairs.jsonl", io.StringIO()
    call_command("export", "pairs", "--format", "trl", "--output", str(out), stderr=err)
    [row] = [json.loads(line) for line in out.read_text().splitlines()]
    assert (row["chosen"], row["rejected"]) == ("B0", "A0")
    export = Export.objects.get()
    assert err.getvalue().strip() == f"export {export.uid}: 1 annotations (trl)"
    stdout = io.StringIO()
    call_command("export", str(project.pk), "--format", "jsonl", stdout=stdout, stderr=io.StringIO())
    assert json.loads(stdout.getvalue())["result"]["overall"] == {"choice": "b", "strength": 3}


def test_outcome_reports_are_validated_field_by_field(make_project, project_admin):
    export = Export.objects.create(project=make_project(tasks=0), format="jsonl")
    with pytest.raises(ValidationError) as caught:
        outcome_report_create(export=export, metric="m" * 201, value=None, baseline=True, notes=5)
    assert caught.value.message_dict == {
        "metric": ["metric is 201 characters; the limit is 200."],
        "value": ["value is required."],
        "baseline": ["baseline must be a number, not True."],
        "notes": ["notes must be text."],
    }
    report = outcome_report_create(export=export, metric=" win_rate ", value="0.58", user=project_admin)
    assert (report.metric, report.value, report.baseline, report.reported_by) == ("win_rate", 0.58, None, project_admin)


def test_the_export_command_takes_the_filters_and_says_what_it_left_out(make_project, make_user, reviewer):
    from annotations.services.review import review_create
    from tests.annotations.review_helpers import GOOD, rubric_add, submitted

    people = [make_user(f"k{i}") for i in range(3)]
    project = make_project(members=[*people, reviewer], tasks=3, double_review_rate=0.0, slug="cmd")
    rubric_add(project)
    kept, rejected, fresh = (submitted(project, person) for person in people)
    review_create(annotation=kept, reviewer=reviewer, scores=GOOD, verdict="accept")
    review_create(annotation=rejected, reviewer=reviewer, scores=GOOD, verdict="reject", feedback="No.")
    out, err = io.StringIO(), io.StringIO()
    call_command("export", "cmd", "--accepted-only", "--min-score", "3.5", stdout=out, stderr=err)
    assert [json.loads(line)["annotation_id"] for line in out.getvalue().splitlines()] == [kept.pk]
    export = Export.objects.get()
    assert err.getvalue().strip() == f"export {export.uid}: 1 annotations (jsonl); left out: rejected 1, not_accepted 1"
    assert export.filters["min_score"] == 3.5 and export.filters["accepted_only"] is True
    with pytest.raises(CommandError, match="min_score must be a number, not 'lots'"):
        call_command("export", "cmd", "--min-score", "lots", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="no guideline version 9"):
        call_command("export", "cmd", "--exclude-guideline-version", "9", stdout=io.StringIO(), stderr=io.StringIO())
    assert Export.objects.count() == 1


def test_outcome_text_that_cannot_be_stored_is_refused_by_field(make_project):
    export = Export.objects.create(project=make_project(tasks=0), format="jsonl")
    with pytest.raises(ValidationError) as caught:
        outcome_report_create(export=export, metric="win\x00rate", value=0.5, notes="bad \ud800")
    assert set(caught.value.message_dict) == {"metric", "notes"}
    assert "NUL" in caught.value.message_dict["metric"][0]
    assert "surrogate" in caught.value.message_dict["notes"][0]

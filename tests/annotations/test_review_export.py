"""Review scores, verdicts and the adjudication log travel with the JSONL export."""

import json

from annotations import roles
from annotations.models import Export, Project
from annotations.services.io_export import export_create, export_stream
from annotations.services.review import adjudication_create, review_create
from tests.annotations.review_helpers import rubric_add, submitted


def test_jsonl_export_holds_review_scores_verdicts_and_adjudications(
    make_project, make_user, annotator, other_annotator, reviewer, project_admin
):
    second = make_user("rev2", roles.REVIEWER)
    project = make_project(
        Project.Kind.CLASSIFY,
        members=[annotator, other_annotator, reviewer, second, project_admin],
        tasks=2,
        double_review_rate=0.0,
        blind_review=True,
    )
    rubric_add(project, dims=[("label_fit", "Label fit", "", 1.0), ("rationale", "Rationale", "", 1.0)])
    task = project.tasks.order_by("id").first()
    a = submitted(project, annotator, task=task, result={"label": "positive", "text": "Praises it."}, reviews_wanted=2)
    b = submitted(project, other_annotator, task=task, result={"label": "negative", "text": "Complains."})
    review_create(
        annotation=a, reviewer=reviewer, scores={"label_fit": 5, "rationale": 4}, verdict="accept", seconds_spent=31
    )
    review_create(
        annotation=a,
        reviewer=second,
        scores={"label_fit": 4, "rationale": 2},
        verdict="reject",
        feedback="The rationale quotes nothing.",
        seconds_spent=12,
    )
    adjudication_create(
        task=task,
        adjudicator=project_admin,
        source="annotators",
        considered=[a, b],
        final_result={"label": "positive"},
        reasoning="The review praises setup and reliability.",
    )

    # One of a's reviewers rejected it: left out by default, exported when asked for.
    assert export_create(project=project, fmt=Export.Format.JSONL).left_out == {"rejected": 1}
    export = export_create(
        project=project, fmt=Export.Format.JSONL, user=project_admin, filters={"include_rejected": True}
    )
    lines = "".join(export_stream(export=export)).splitlines()
    rows = {row["annotation_id"]: row for row in map(json.loads, lines)}
    assert set(rows) == {a.pk, b.pk}
    assert (rows[a.pk]["review_status"], rows[a.pk]["review_verdicts"]) == ("rejected", ["accept", "reject"])
    assert rows[a.pk]["review_score"] == 3.75  # (5 + 4) / 2 and (4 + 2) / 2, weights 1 and 1
    assert rows[b.pk]["review_status"] == "unreviewed"

    reviews = sorted(rows[a.pk]["reviews"], key=lambda r: r["reviewer_id"])
    assert [(r["reviewer_id"], r["verdict"], r["scores"]) for r in reviews] == [
        (reviewer.pk, "accept", {"label_fit": 5, "rationale": 4}),  # ids exported even under blind review
        (second.pk, "reject", {"label_fit": 4, "rationale": 2}),
    ]
    assert reviews[1]["feedback"] == "The rationale quotes nothing."
    assert [r["seconds_spent"] for r in reviews] == [31.0, 12.0]
    assert all(r["guideline_version"] == 1 and r["annotation_version"] == 1 for r in reviews)
    assert rows[b.pk]["reviews"] == []

    for row in rows.values():  # the log belongs to the task: both annotations of it carry it
        (adjudication,) = row["adjudications"]
        assert adjudication["adjudicator_id"] == project_admin.pk
        assert adjudication["final_result"] == {"label": "positive", "text": ""}
        assert adjudication["reasoning"] == "The review praises setup and reliability."
        assert adjudication["source"] == "annotators"

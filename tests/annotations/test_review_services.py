"""Review and adjudication services, and reviewer calibration, with known answers."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from annotations import roles
from annotations.models import Adjudication, Annotation, AnnotationVersion, Project, Review
from annotations.selectors_review import disagreements, review_queue
from annotations.services.review import adjudication_create, review_create
from annotations.services.work import annotation_submit
from quality.calibration import reviewer_calibration
from tests.annotations.review_helpers import GOOD, rubric_add, submitted
from tests.conftest import join


@pytest.fixture
def project(make_project, annotator, other_annotator, reviewer):
    project = make_project(members=[annotator, other_annotator, reviewer], tasks=4, double_review_rate=0.0)
    rubric_add(project)
    return project


def test_invalid_scores_name_each_dimension_and_nothing_is_saved(project, annotator, reviewer):
    work = submitted(project, annotator)
    with pytest.raises(ValidationError) as caught:
        review_create(annotation=work, reviewer=reviewer, scores={"accuracy": 7, "clarity": "x"}, verdict="accept")
    errors = caught.value.message_dict
    assert errors["scores.accuracy"] == ["Accuracy must be from 1 to 5, not 7."]
    assert "Clarity must be a whole number from 1 to 5" in errors["scores.clarity"][0]
    assert errors["scores.completeness"] == ["Score Completeness (1-5)."]
    assert Review.objects.count() == 0


def test_verdict_feedback_and_exemplar_note_rules(project, annotator, reviewer):
    work = submitted(project, annotator)
    with pytest.raises(ValidationError) as caught:
        review_create(annotation=work, reviewer=reviewer, scores=GOOD, verdict="maybe")
    assert "verdict" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        review_create(annotation=work, reviewer=reviewer, scores=GOOD, verdict="revise", feedback="  ")
    assert "revise verdict must tell the annotator" in caught.value.message_dict["feedback"][0]
    with pytest.raises(ValidationError) as caught:
        review_create(annotation=work, reviewer=reviewer, scores=GOOD, verdict="accept", exemplary=True)
    assert "exemplar_note" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        review_create(annotation=work, reviewer=reviewer, scores=GOOD, verdict="reject", feedback="No.", exemplary=True)
    assert caught.value.message_dict["exemplary"] == ["Only accepted work can be an exemplar."]


def test_review_records_rubric_guideline_version_and_time(project, annotator, reviewer):
    work = submitted(project, annotator)
    review = review_create(
        annotation=work,
        reviewer=reviewer,
        scores={k: str(v) for k, v in GOOD.items()},
        verdict="accept",
        seconds_spent=42.26,
    )
    assert review.scores == GOOD
    assert review.guideline_version == work.guideline_version
    assert review.rubric.dimensions.count() == 3
    assert review.seconds_spent == 42.3
    assert review.annotation_version == 1


def test_nobody_reviews_their_own_work(project, make_user):
    both = make_user("rev-ann", roles.REVIEWER)
    join(project, both, roles.REVIEWER, roles.ANNOTATOR)
    work = submitted(project, both)
    with pytest.raises(PermissionDenied):
        review_create(annotation=work, reviewer=both, scores=GOOD, verdict="accept")
    assert work not in review_queue(user=both)


def test_annotators_and_outsiders_cannot_review(project, annotator, other_annotator, make_user):
    work = submitted(project, annotator)
    with pytest.raises(PermissionDenied):
        review_create(annotation=work, reviewer=other_annotator, scores=GOOD, verdict="accept")
    outsider = make_user("rev-elsewhere", roles.REVIEWER)  # a reviewer, not a member of this project
    with pytest.raises(PermissionDenied):
        review_create(annotation=work, reviewer=outsider, scores=GOOD, verdict="accept")


def test_revise_returns_work_and_resubmission_keeps_both_versions(project, annotator, reviewer):
    work = submitted(project, annotator, result={"text": "First try."})
    review_create(annotation=work, reviewer=reviewer, scores=GOOD, verdict="revise", feedback="Cite the source.")
    work.refresh_from_db()
    assert work.state == Annotation.State.RETURNED
    assert work not in review_queue(user=reviewer)

    annotation_submit(annotation=work, result={"text": "Second try, with the source."})
    work.refresh_from_db()
    assert (work.state, work.version) == (Annotation.State.SUBMITTED, 2)
    versions = list(AnnotationVersion.objects.filter(annotation=work).values_list("number", "result"))
    assert versions == [(1, {"text": "First try."}), (2, {"text": "Second try, with the source."})]
    # The new version is back in the queue and may be reviewed again by the same reviewer.
    assert [a.pk for a in review_queue(user=reviewer)] == [work.pk]
    again = review_create(annotation=work, reviewer=reviewer, scores=GOOD, verdict="accept")
    assert again.annotation_version == 2
    assert list(work.reviews.order_by("annotation_version").values_list("annotation_version", "verdict")) == [
        (1, "revise"),
        (2, "accept"),
    ]


def test_double_review_needs_two_distinct_reviewers(project, annotator, reviewer, make_user):
    second = make_user("rev2", roles.REVIEWER)
    third = make_user("rev3", roles.REVIEWER)
    join(project, second)
    join(project, third)
    work = submitted(project, annotator, reviews_wanted=2)
    review_create(annotation=work, reviewer=reviewer, scores=GOOD, verdict="revise", feedback="Tighten it.")
    work.refresh_from_db()
    # One review in: still submitted (a revise waits for the second opinion), still queued for others only.
    assert work.state == Annotation.State.SUBMITTED
    assert work not in review_queue(user=reviewer)
    assert [a.pk for a in review_queue(user=second, needs_second=True)] == [work.pk]
    with pytest.raises(ValidationError) as caught:
        review_create(annotation=work, reviewer=reviewer, scores=GOOD, verdict="accept")
    assert "already reviewed version 1" in caught.value.message_dict["annotation"][0]

    review_create(annotation=work, reviewer=second, scores=GOOD, verdict="accept")
    work.refresh_from_db()
    assert work.state == Annotation.State.RETURNED  # one of the two asked for a revision
    assert review_queue(user=third) == []
    work.state = Annotation.State.SUBMITTED
    work.save(update_fields=["state"])
    with pytest.raises(ValidationError) as caught:
        review_create(annotation=work, reviewer=third, scores=GOOD, verdict="accept")
    assert caught.value.message_dict["annotation"] == ["This version already has the 2 review(s) it needs."]


def test_calibration_alpha_matches_krippendorffs_published_example(make_project, make_user, annotator):
    """Krippendorff (2011), "Computing Krippendorff's alpha-reliability", the 4 coders x 12 units example
    with missing data: alpha = 0.743 nominal, 0.815 ordinal, 0.849 interval. Reviewers are the coders."""
    coders = [make_user(f"coder{i}", roles.REVIEWER) for i in range(4)]
    project = make_project(members=[annotator, *coders], tasks=12, double_review_rate=0.0)
    rubric_add(project, dims=[("overall", "Overall", "", 1.0)])
    n = None
    table = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
        [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n],
    ]
    for unit in range(12):
        work = submitted(project, annotator, reviews_wanted=4)
        for coder, row in zip(coders, table, strict=True):
            if row[unit] is not None:
                review_create(annotation=work, reviewer=coder, scores={"overall": row[unit]}, verdict="accept")
    calibration = reviewer_calibration(project=project)
    (dim,) = calibration["dimensions"]
    assert calibration["units"] == 11  # unit 12 has a single score: not pairable
    assert round(dim["alpha"], 3) == 0.815
    assert dim["n_units"] == 11


def test_calibration_drift_sign_and_mean_absolute_difference(project, annotator, other_annotator, reviewer, make_user):
    lenient = make_user("lenient", roles.REVIEWER)
    join(project, lenient)
    for who, base in ((annotator, 2), (other_annotator, 3), (annotator, 4)):
        work = submitted(project, who, reviews_wanted=2)
        harsh = {"accuracy": base, "clarity": base, "completeness": 3}
        review_create(annotation=work, reviewer=reviewer, scores=harsh, verdict="accept")
        review_create(annotation=work, reviewer=lenient, scores={**harsh, "accuracy": base + 1}, verdict="accept")
    calibration = reviewer_calibration(project=project)
    dims = {d["key"]: d for d in calibration["dimensions"]}
    assert dims["accuracy"]["mad"] == 1.0
    assert dims["clarity"]["mad"] == 0.0
    assert dims["clarity"]["alpha"] == 1.0  # identical, varied scores: perfect agreement
    assert dims["completeness"]["alpha"] is None and "no variation" in dims["completeness"]["alpha_note"]
    drift = {r["username"]: r for r in calibration["reviewers"]}
    assert drift["lenient"]["drift"]["accuracy"] == {"mean": 1.0, "n": 3}
    assert drift["rev1"]["drift"]["accuracy"] == {"mean": -1.0, "n": 3}
    assert drift["lenient"]["drifting"] and drift["lenient"]["worst"]["key"] == "accuracy"


def test_adjudication_of_annotator_disagreement_is_logged(make_project, annotator, other_annotator, reviewer):
    project = make_project(Project.Kind.CLASSIFY, members=[annotator, other_annotator, reviewer], tasks=2)
    task = project.tasks.first()
    a = submitted(project, annotator, task=task, result={"label": "positive"})
    b = submitted(project, other_annotator, task=task, result={"label": "negative"})
    submitted(project, annotator, result={"label": "neutral"})  # alone on its task: nothing to settle
    (open_item,) = disagreements(user=reviewer, project=project)
    assert open_item["task"] == task and open_item["source"] == Adjudication.Source.ANNOTATORS
    assert open_item["detail"] == "negative, positive"

    with pytest.raises(ValidationError) as caught:
        adjudication_create(
            task=task,
            adjudicator=reviewer,
            source="annotators",
            considered=[a, b],
            final_result={"label": "purple"},
            reasoning="",
        )
    errors = caught.value.message_dict
    assert "Unknown label 'purple'" in errors["final_result.label"][0]
    assert errors["reasoning"] == ["Explain the decision: the reasoning is kept in the log."]
    with pytest.raises(PermissionDenied):
        adjudication_create(
            task=task,
            adjudicator=annotator,
            source="annotators",
            considered=[a, b],
            final_result={"label": "positive"},
            reasoning="Mine.",
        )

    adjudication_create(
        task=task,
        adjudicator=reviewer,
        source="annotators",
        considered=[a, b],
        final_result={"label": "positive"},
        reasoning="The text praises the product.",
    )
    (logged,) = Adjudication.objects.all()
    assert logged.final_result == {"label": "positive", "text": ""}
    assert logged.reasoning == "The text praises the product."
    assert set(logged.considered.values_list("pk", flat=True)) == {a.pk, b.pk}
    assert disagreements(user=reviewer, project=project) == []


def test_reviewers_who_disagree_on_the_verdict_go_to_adjudication(
    project, annotator, reviewer, make_user, project_admin
):
    second = make_user("rev2", roles.REVIEWER)
    join(project, second)
    join(project, project_admin)
    work = submitted(project, annotator, reviews_wanted=2)
    review_create(annotation=work, reviewer=reviewer, scores=GOOD, verdict="accept")
    review_create(annotation=work, reviewer=second, scores=GOOD, verdict="reject", feedback="Off topic.")
    (item,) = disagreements(user=project_admin, project=project)
    assert item["source"] == Adjudication.Source.REVIEWERS and item["detail"] == "accept vs reject"
    adjudication_create(
        task=work.task,
        adjudicator=project_admin,
        source="reviewers",
        considered=[work],
        final_result={"verdict": "revise"},
        reasoning="On topic but thin; one more pass.",
    )
    work.refresh_from_db()
    assert work.state == Annotation.State.RETURNED
    assert Adjudication.objects.get().final_result == {"verdict": "revise"}


def test_queue_filters_and_the_order_hook(project, annotator, other_annotator, reviewer, make_user, hook_override):
    from annotations import hooks

    second = make_user("rev2", roles.REVIEWER)
    join(project, second)
    tasks = list(project.tasks.order_by("id"))
    tasks[0].domain_tags = ["biology"]
    tasks[0].save()
    bio = submitted(project, annotator, task=tasks[0])
    double = submitted(project, annotator, task=tasks[1], reviews_wanted=2)
    plain = submitted(project, other_annotator, task=tasks[2])
    review_create(annotation=double, reviewer=second, scores=GOOD, verdict="accept")

    def ids(**filters):
        return [a.pk for a in review_queue(user=reviewer, **filters)]

    assert ids() == [bio.pk, double.pk, plain.pk]  # default: oldest submitted first
    assert ids(unreviewed=True) == [bio.pk, plain.pk]
    assert ids(needs_second=True) == [double.pk]
    assert ids(domain="biology") == [bio.pk]
    assert ids(kind="classify") == []

    from telemetry.models import AnnotationSignals  # the flag filter asks telemetry's stored flags in SQL

    AnnotationSignals.objects.create(
        annotation=plain, flags=[{"flag": "paste_dominant", "values": {"pasted_fraction": 0.9}}]
    )
    assert ids(flag="paste_dominant") == [plain.pk]
    assert review_queue(user=reviewer, flag="paste_dominant")[0].evidence_flags[0]["flag"] == "paste_dominant"
    hook_override(hooks.REVIEW_QUEUE_ORDER, lambda *, annotations, user: annotations.order_by("-submitted_at", "-id"))
    assert ids() == [plain.pk, double.pk, bio.pk]


def test_score_history_follows_my_nth_annotation(project, annotator, reviewer, make_user):
    from annotations.selectors_review import score_history

    second = make_user("rev2", roles.REVIEWER)
    join(project, second)
    first = submitted(project, annotator)
    later = submitted(project, annotator, reviews_wanted=2)
    review_create(annotation=first, reviewer=reviewer, scores={**GOOD, "accuracy": 2}, verdict="accept")
    review_create(annotation=later, reviewer=reviewer, scores={**GOOD, "accuracy": 4}, verdict="accept")
    review_create(annotation=later, reviewer=second, scores={**GOOD, "accuracy": 5}, verdict="accept")
    history = score_history(user=annotator)
    assert set(history) == {"accuracy", "clarity", "completeness"}
    assert history["accuracy"]["name"] == "Accuracy" and (history["accuracy"]["min"], history["accuracy"]["max"]) == (
        1,
        5,
    )
    assert history["accuracy"]["points"] == [[1, 2.0], [2, 4.5]]  # two reviews of the 2nd: their mean
    assert history["clarity"]["points"] == [[1, 5.0], [2, 5.0]]
    assert score_history(user=reviewer) == {}

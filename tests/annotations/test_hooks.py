"""Hooks: names known once and refused when misspelt, the override fixture, and the domain events
fired once after commit (never on rollback)."""

import ast
from pathlib import Path

import pytest
from django.db import transaction

from annotations import hooks
from annotations.models import GuidelineVersion, OutcomeReport, Project, Review
from annotations.services.guidelines import guideline_publish
from annotations.services.io import export_create, outcome_report_create
from annotations.services.review import adjudication_create, review_create
from tests.annotations.review_helpers import GOOD, rubric_add, submitted
from tests.conftest import hook_overrider

ROOT = Path(__file__).resolve().parents[2]


class Rollback(Exception):
    pass


@pytest.fixture
def heard(hook_override):
    """heard(name) -> the keyword arguments of every time the event fired during the test."""

    def listen(name: str) -> list[dict]:
        calls: list[dict] = []
        hook_override(name, lambda **kwargs: calls.append(kwargs))
        return calls

    return listen


@pytest.fixture
def project(make_project, annotator, other_annotator, reviewer):
    project = make_project(
        Project.Kind.CLASSIFY, members=[annotator, other_annotator, reviewer], tasks=2, double_review_rate=0.0
    )
    rubric_add(project)
    return project


# Names


@pytest.mark.parametrize("use", [hooks.register, hooks.call_all, hooks.call_first, hooks.merged, hooks.on_commit])
def test_a_misspelt_name_is_refused_naming_it_and_the_known_ones(use):
    args = (lambda **kwargs: None,) if use is hooks.register else ()
    with pytest.raises(ValueError) as caught:
        use("anotation_submitted", *args)
    message = str(caught.value)
    assert "'anotation_submitted'" in message
    assert all(name in message for name in hooks.KNOWN)
    assert "anotation_submitted" not in hooks._registry


def test_every_registered_name_is_known_and_the_apps_registered_theirs():
    # The apps are ready (pytest-django set Django up): telemetry and quality registered from ready().
    assert set(hooks._registry) <= hooks.KNOWN
    assert {hooks.EDITOR_SESSION, hooks.ANNOTATION_SUBMITTED, hooks.REVIEW_EVIDENCE, hooks.REVIEWER_CALIBRATION} <= {
        name for name, fns in hooks._registry.items() if fns
    }


def _hook_calls():
    """Every hooks.<register|call_*|merged|on_commit>(...) in the project's code, with its first argument."""
    uses = {"register", "call_all", "call_first", "merged", "on_commit", "registered"}
    for app in ("annotations", "telemetry", "quality", "workstation"):
        for path in sorted((ROOT / app).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                func = getattr(node, "func", None)
                if (
                    isinstance(node, ast.Call)
                    and isinstance(func, ast.Attribute)
                    and isinstance(func.value, ast.Name)
                    and func.value.id == "hooks"
                    and func.attr in uses
                ):
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", node.args[0] if node.args else None


def test_every_call_site_names_its_hook_by_a_known_constant():
    sites = list(_hook_calls())
    assert len(sites) > 20
    for where, arg in sites:
        assert isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name), f"{where}: not hooks.<NAME>"
        assert getattr(hooks, arg.attr, None) in hooks.KNOWN, f"{where}: hooks.{arg.attr} is not a hook name"


# The override fixture


def test_override_replaces_the_registered_functions_for_the_test(hook_override):
    hook_override(hooks.REVIEW_EVIDENCE, lambda *, annotation: {"from": "the test"})
    assert hooks.call_first(hooks.REVIEW_EVIDENCE, annotation=None) == {"from": "the test"}
    hook_override(hooks.EVIDENCE_FLAG_NAMES)  # nobody: the neutral answer
    assert hooks.call_first(hooks.EVIDENCE_FLAG_NAMES) is None


def test_override_is_undone_after_a_failing_test():
    before = hooks.registered(hooks.REVIEW_EVIDENCE)
    assert before  # telemetry's, from its ready()
    with pytest.raises(Rollback), pytest.MonkeyPatch.context() as monkeypatch:  # what pytest does per test
        hook_overrider(monkeypatch)(hooks.REVIEW_EVIDENCE, lambda *, annotation: "fake")
        assert hooks.call_first(hooks.REVIEW_EVIDENCE, annotation=None) == "fake"
        raise Rollback
    assert hooks.registered(hooks.REVIEW_EVIDENCE) == before


def test_override_refuses_a_misspelt_name(hook_override):
    with pytest.raises(ValueError):
        hook_override("review_evidense", lambda **kwargs: None)


# Events after commit


def test_annotation_submitted_fires_once_after_commit(project, annotator, heard, django_capture_on_commit_callbacks):
    calls = heard(hooks.ANNOTATION_SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        work = submitted(project, annotator, result={"label": "positive"})
        assert calls == []  # not before the commit
    assert calls == [{"annotation": work, "final_seq": None}]


def test_review_created_fires_once_after_commit_and_never_on_rollback(
    project, annotator, reviewer, heard, django_capture_on_commit_callbacks
):
    calls = heard(hooks.REVIEW_CREATED)
    first = submitted(project, annotator, result={"label": "positive"})
    with django_capture_on_commit_callbacks(execute=True):
        review = review_create(annotation=first, reviewer=reviewer, scores=GOOD, verdict="accept")
        assert calls == []
    assert calls == [{"review": review}]

    second = submitted(project, annotator, result={"label": "negative"})
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Rollback), transaction.atomic():
        review_create(annotation=second, reviewer=reviewer, scores=GOOD, verdict="accept")
        raise Rollback
    assert calls == [{"review": review}]
    assert Review.objects.filter(annotation=second).count() == 0


def test_adjudicated_fires_once_after_commit_and_never_on_rollback(
    project, annotator, other_annotator, reviewer, heard, django_capture_on_commit_callbacks
):
    calls = heard(hooks.ADJUDICATED)
    task = project.tasks.first()
    a = submitted(project, annotator, task=task, result={"label": "positive"})
    b = submitted(project, other_annotator, task=task, result={"label": "negative"})

    def settle():
        return adjudication_create(
            task=task,
            adjudicator=reviewer,
            source="annotators",
            considered=[a, b],
            final_result={"label": "positive"},
            reasoning="The text praises it.",
        )

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Rollback), transaction.atomic():
        settle()
        raise Rollback
    assert calls == []
    with django_capture_on_commit_callbacks(execute=True):
        adjudication = settle()
    assert calls == [{"adjudication": adjudication}]


def test_guideline_published_fires_once_after_commit_and_never_on_rollback(
    project, project_admin, heard, django_capture_on_commit_callbacks
):
    calls = heard(hooks.GUIDELINE_PUBLISHED)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Rollback), transaction.atomic():
        guideline_publish(project=project, text="Never kept.")
        raise Rollback
    assert calls == []
    with django_capture_on_commit_callbacks(execute=True):
        version = guideline_publish(
            project=project, text="# Guide v2", change_summary="Sarcasm is negative.", created_by=project_admin
        )
        assert calls == []
    assert calls == [{"guideline_version": version}]
    assert version.number == 2  # after the project's first version
    assert project.current_guideline() == version


def test_a_guideline_version_added_in_the_admin_is_published_once(
    client, make_user, project, heard, django_capture_on_commit_callbacks
):
    calls = heard(hooks.GUIDELINE_PUBLISHED)
    root = make_user("root", None, is_staff=True, is_superuser=True)
    client.force_login(root)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/annotations/guidelineversion/add/",
            {"project": project.pk, "number": 2, "text": "# Guide v2", "change_summary": "Sarcasm."},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    version = GuidelineVersion.objects.get(project=project, number=2)
    assert calls == [{"guideline_version": version}]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/admin/annotations/guidelineversion/{version.pk}/change/",
            {"project": project.pk, "number": 2, "text": "# Guide v2, typo fixed", "change_summary": "Sarcasm."},
        )
    assert len(calls) == 1  # an edit is not a new publication


def test_outcome_reported_fires_once_after_commit_and_never_on_rollback(
    project, annotator, heard, django_capture_on_commit_callbacks
):
    calls = heard(hooks.OUTCOME_REPORTED)
    submitted(project, annotator, result={"label": "positive"})
    export = export_create(project=project, fmt="jsonl")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Rollback), transaction.atomic():
        outcome_report_create(export=export, metric="accuracy", value=0.5)
        raise Rollback
    assert calls == []
    with django_capture_on_commit_callbacks(execute=True):
        outcome = outcome_report_create(export=export, metric="reward_model_accuracy", value=0.71)
        assert calls == []
    assert calls == [{"outcome": outcome}]
    assert OutcomeReport.objects.count() == 1


def test_an_event_nobody_registered_for_changes_nothing(project, annotator, reviewer, hook_override):
    hook_override(hooks.REVIEW_CREATED)
    work = submitted(project, annotator, result={"label": "positive"})
    review = review_create(annotation=work, reviewer=reviewer, scores=GOOD, verdict="accept")
    assert Review.objects.get() == review

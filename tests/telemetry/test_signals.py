"""Signals in the database: computed at submit, recomputed when late events arrive, served to
exports and reviewers through the hooks."""

import pytest
from django.core.management import CommandError, call_command

from annotations import hooks
from annotations.models import Annotation
from annotations.services.io_export import export_create, export_rows
from annotations.services.routing import assignment_next
from annotations.services.work import annotation_start, annotation_submit
from telemetry.ingest import events_ingest
from telemetry.models import AnnotationSignals, EditorSession
from telemetry.services import editor_session_open
from telemetry.signals import UNDEFINED_KEY, annotation_signals_compute, signals_refresh_for_session
from tests.telemetry.streams import composed_sentence, pure_paste

PASTED = "x" * 400


@pytest.fixture
def project(make_project, annotator):
    return make_project("write", members=[annotator], tasks=2, expected_minutes=5)


def start(project, user) -> Annotation:
    return annotation_start(assignment=assignment_next(project=project, user=user))


def ingest(session: EditorSession, events: list[dict]) -> None:
    result = events_ingest(session=session, events=events)
    assert result.quarantined == []  # the hand-built streams speak the contract exactly


def submit(annotation, text, final_seq, capture) -> None:
    with capture(execute=True):
        annotation_submit(annotation=annotation, result={"text": text}, final_seq=final_seq)


def test_signals_are_computed_when_the_annotation_is_submitted(project, annotator, django_capture_on_commit_callbacks):
    annotation = start(project, annotator)
    session = editor_session_open(annotation=annotation, user=annotator)
    wire = pure_paste().wire()
    ingest(session, wire)
    submit(annotation, PASTED, len(wire), django_capture_on_commit_callbacks)

    row = AnnotationSignals.objects.get(annotation=annotation)
    assert row.event_count == 6  # focus, Ctrl, V, paste, its input event, the submit snapshot
    assert row.features["pasted_fraction"] == 1.0
    assert row.features["final_length"] == 400  # from the submitted result
    assert row.features["events_missing"] == 0
    assert row.features["expected_minutes"] == 5
    assert row.features["references_read_fraction"] == 0.0  # the task's one reference was never opened
    assert "iki_median_ms" in row.features[UNDEFINED_KEY]
    assert "paste_dominant" in {flag["flag"] for flag in row.flags}
    # The flag changes nothing: the annotation stays submitted, nothing is returned or rejected.
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.SUBMITTED


def test_late_events_recompute_the_signals(project, annotator, django_capture_on_commit_callbacks, refresher):
    """The page was submitted while its last frame (the paste) was still unacknowledged."""
    annotation = start(project, annotator)
    session = editor_session_open(annotation=annotation, user=annotator)
    wire = pure_paste().wire()
    ingest(session, wire[:3])  # focus and the two keys
    submit(annotation, PASTED, len(wire), django_capture_on_commit_callbacks)

    row = AnnotationSignals.objects.get(annotation=annotation)
    assert row.event_count == 3
    assert row.features["events_missing"] == 3  # seqs 4..6 of the final seq 6 not here yet
    assert row.features["pasted_chars"] == 0
    assert "paste_dominant" not in {flag["flag"] for flag in row.flags}

    session.refresh_from_db()
    ingest(session, wire[3:])  # the late frame reaches the closed session: ingest schedules a refresh
    assert refresher.run_due() == 1

    row.refresh_from_db()
    assert row.event_count == 6
    assert row.features["events_missing"] == 0
    assert row.features["pasted_chars"] == 400
    assert "paste_dominant" in {flag["flag"] for flag in row.flags}
    assert AnnotationSignals.objects.filter(annotation=annotation).count() == 1


def test_events_of_every_session_are_combined(project, annotator, django_capture_on_commit_callbacks):
    annotation = start(project, annotator)
    first = editor_session_open(annotation=annotation, user=annotator)
    ingest(first, composed_sentence().wire()[:21])  # typed "The car " then reloaded the page
    second = editor_session_open(annotation=annotation, user=annotator)
    wire = pure_paste().wire()
    ingest(second, wire)
    submit(annotation, PASTED, len(wire), django_capture_on_commit_callbacks)
    features = AnnotationSignals.objects.get(annotation=annotation).features
    assert features["session_count"] == 2
    assert features["event_count"] == 27
    assert features["backspaces"] == 1
    assert features["paste_count"] == 1
    # The first session's last seq (21) is its highest: nothing missing in either session.
    assert features["events_missing"] == 0


def test_refresh_ignores_a_draft(project, annotator):
    annotation = start(project, annotator)
    session = editor_session_open(annotation=annotation, user=annotator)
    ingest(session, pure_paste().wire())
    assert signals_refresh_for_session(session=session) is None
    assert not AnnotationSignals.objects.filter(annotation=annotation).exists()


def test_project_thresholds_apply(project, annotator, django_capture_on_commit_callbacks):
    project.flag_thresholds = {"paste_dominant": 1.01, "implausible_speed": False}
    project.save(update_fields=["flag_thresholds"])
    annotation = start(project, annotator)
    session = editor_session_open(annotation=annotation, user=annotator)
    wire = pure_paste().wire()
    ingest(session, wire)
    submit(annotation, PASTED, len(wire), django_capture_on_commit_callbacks)
    row = AnnotationSignals.objects.get(annotation=annotation)
    assert row.features["pasted_fraction"] == 1.0
    assert row.flags == []


def test_no_signals_when_telemetry_is_off(make_project, annotator, django_capture_on_commit_callbacks):
    project = make_project("write", members=[annotator], tasks=1, telemetry_enabled=False)
    annotation = start(project, annotator)
    submit(annotation, "Typed without telemetry.", None, django_capture_on_commit_callbacks)
    assert not AnnotationSignals.objects.filter(annotation=annotation).exists()


def test_export_provenance_hook_answers_a_batch_in_one_query(
    project, annotator, django_capture_on_commit_callbacks, django_assert_num_queries
):
    computed = start(project, annotator)
    session = editor_session_open(annotation=computed, user=annotator)
    wire = pure_paste().wire()
    ingest(session, wire)
    submit(computed, PASTED, len(wire), django_capture_on_commit_callbacks)
    never = start(project, annotator)  # a draft: no signals yet

    with django_assert_num_queries(1):
        provenance = hooks.merged(hooks.EXPORT_PROVENANCE, annotations=[computed, never])

    assert set(provenance) == {computed.pk, never.pk}
    row = provenance[computed.pk]
    assert row["signals"]["pasted_fraction"] == 1.0
    assert UNDEFINED_KEY not in row["signals"]
    assert row["signals_undefined"]["iki_median_ms"] == "no keystroke intervals were recorded"
    assert [flag["flag"] for flag in row["flags"]][:1] == ["paste_dominant"]
    assert set(row["flags"][0]) >= {"flag", "values", "threshold", "explanation"}
    assert provenance[never.pk] == {"signals": None, "flags": None, "signals_undefined": None}


def test_review_evidence_hook(project, annotator, django_capture_on_commit_callbacks):
    annotation = start(project, annotator)
    session = editor_session_open(annotation=annotation, user=annotator)
    wire = composed_sentence().wire()
    ingest(session, wire)
    submit(annotation, "The red car is.", len(wire), django_capture_on_commit_callbacks)

    evidence = hooks.call_first(hooks.REVIEW_EVIDENCE, annotation=annotation)
    assert set(evidence) == {
        "signals",
        "flags",
        "undefined",
        "replay",
        "event_count",
        "failure",
        "summary",
        "table",
        "pasted_text",
        "version_changes",
    }
    assert evidence["failure"] == ""
    assert evidence["event_count"] == 44
    assert evidence["flags"] == []
    assert evidence["signals"]["revision_ratio"] == pytest.approx(1 / 16)
    assert evidence["signals"]["references_read_fraction"] == 1.0  # the task has only r1, read for 3 s
    assert evidence["undefined"]["largest_paste_chars"] == "nothing was pasted"
    assert [snap["text"] for snap in evidence["replay"]] == ["The car is.", "The red car is."]


def test_review_evidence_computes_without_storing_when_no_row_exists(project, annotator):
    annotation = start(project, annotator)
    session = editor_session_open(annotation=annotation, user=annotator)
    ingest(session, pure_paste().wire())
    evidence = hooks.call_first(hooks.REVIEW_EVIDENCE, annotation=annotation)
    assert evidence["event_count"] == 6
    assert evidence["signals"]["pasted_chars"] == 400
    assert not AnnotationSignals.objects.filter(annotation=annotation).exists()


def test_recompute_signals_command(project, annotator, django_capture_on_commit_callbacks, capsys):
    annotation = start(project, annotator)
    session = editor_session_open(annotation=annotation, user=annotator)
    wire = pure_paste().wire()
    ingest(session, wire)
    submit(annotation, PASTED, len(wire), django_capture_on_commit_callbacks)
    AnnotationSignals.objects.all().delete()
    start(project, annotator)  # a draft on the other task: not recomputed

    call_command("recompute_signals", project=project.slug)
    assert "Recomputed signals for 1 submitted annotation(s); 1 carry flags." in capsys.readouterr().out
    assert AnnotationSignals.objects.get(annotation=annotation).features["pasted_chars"] == 400
    with pytest.raises(CommandError, match="No project"):
        call_command("recompute_signals", project="no-such-project")


def test_compute_is_an_upsert(project, annotator):
    annotation = start(project, annotator)
    first = annotation_signals_compute(annotation=annotation)
    second = annotation_signals_compute(annotation=annotation)
    assert first.pk == second.pk
    assert second.event_count == 0
    assert second.features["time_ratio"] is None
    assert second.features[UNDEFINED_KEY]["time_ratio"] == "no telemetry events"


def test_a_computation_from_fewer_events_never_overwrites_a_fresher_row(project, annotator):
    annotation = start(project, annotator)
    session = editor_session_open(annotation=annotation, user=annotator)
    ingest(session, pure_paste().wire())
    fresher = annotation_signals_compute(annotation=annotation)
    # Pretend a concurrent computation had already stored a row from more events.
    AnnotationSignals.objects.filter(pk=fresher.pk).update(event_count=100, features={"marker": 1})
    row = annotation_signals_compute(annotation=annotation)
    assert (row.event_count, row.features) == (100, {"marker": 1})
    AnnotationSignals.objects.filter(pk=fresher.pk).update(event_count=6)
    assert annotation_signals_compute(annotation=annotation).features["pasted_chars"] == 400


def test_jsonl_export_rows_carry_signals_and_flags(project, annotator, django_capture_on_commit_callbacks):
    annotation = start(project, annotator)
    session = editor_session_open(annotation=annotation, user=annotator)
    wire = pure_paste().wire()
    ingest(session, wire)
    submit(annotation, PASTED, len(wire), django_capture_on_commit_callbacks)
    other = start(project, annotator)  # submitted with telemetry on but no events at all
    submit(other, "Typed with the socket down.", None, django_capture_on_commit_callbacks)

    rows = {row["annotation_id"]: row for row in export_rows(export=export_create(project=project, fmt="jsonl"))}
    assert rows[annotation.pk]["signals"]["pasted_fraction"] == 1.0
    assert "paste_dominant" in {flag["flag"] for flag in rows[annotation.pk]["flags"]}
    assert rows[other.pk]["signals"]["event_count"] == 0
    assert rows[other.pk]["signals"]["keys_per_minute"] is None
    assert rows[other.pk]["signals_undefined"]["keys_per_minute"] == "no active time was recorded"

"""The quarantine's once-per-event migration keeps the first of each group of resends."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def test_resent_bad_events_stored_before_are_kept_once(make_project, annotator):
    from annotations.models import Annotation
    from telemetry.services import editor_session_open

    project = make_project(members=[annotator], tasks=1)
    annotation = Annotation.objects.create(task=project.tasks.first(), annotator=annotator)
    session = editor_session_open(annotation=annotation, user=annotator)
    latest = [("telemetry", "0003_quarantine_once_constraints")]
    try:
        old = _migrate([("telemetry", "0001_initial")])
        Quarantined = old.get_model("telemetry", "QuarantinedEvent")
        for raw, seq in [('{"seq": 2}', 2), ('{"seq": 2}', 2), ('{"k": "x"}', None), ('{"k": "x"}', None)]:
            Quarantined.objects.create(session_id=session.pk, seq=seq, raw=raw, reason="bad")
        Quarantined.objects.create(session_id=session.pk, seq=3, raw='{"seq": 3}', reason="bad")
        Quarantined.objects.create(session_id=session.pk, seq=None, raw='{"k": "y"}', reason="bad")
        first = Quarantined.objects.order_by("pk").first().pk
        new = _migrate(latest)
    finally:
        _migrate(latest)
    rows = new.get_model("telemetry", "QuarantinedEvent").objects.order_by("pk")
    assert [(r.seq, r.raw) for r in rows] == [
        (2, '{"seq": 2}'),
        (None, '{"k": "x"}'),
        (3, '{"seq": 3}'),
        (None, '{"k": "y"}'),
    ]
    assert rows[0].pk == first and all(len(r.digest) == 64 for r in rows)

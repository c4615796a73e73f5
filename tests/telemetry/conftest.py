"""The editor session most telemetry tests write into. Late-event signal refreshes run in the
test's own thread (it holds the test's transaction), by calling
`refresher.run_due()`; tests of the worker thread build their own."""

import pytest

from annotations.models import Annotation
from telemetry import refresh
from telemetry.services import editor_session_open


@pytest.fixture
def session(make_project, annotator):
    """An open editor session on a fresh annotation of a one-task project."""
    project = make_project(members=[annotator], tasks=1)
    annotation = Annotation.objects.create(task=project.tasks.first(), annotator=annotator)
    return editor_session_open(annotation=annotation, user=annotator)


@pytest.fixture(autouse=True)
def refresher(monkeypatch):
    manual = refresh.SignalsRefresher(worker=False)
    monkeypatch.setattr(refresh, "REFRESHER", manual)
    return manual

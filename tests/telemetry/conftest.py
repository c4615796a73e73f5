"""Telemetry tests run late-event signal refreshes in the test's own thread (it holds the test's
transaction), by calling `refresher.run_due()`; tests of the worker thread build their own."""

import pytest

from telemetry import refresh


@pytest.fixture(autouse=True)
def refresher(monkeypatch):
    manual = refresh.SignalsRefresher(worker=False)
    monkeypatch.setattr(refresh, "REFRESHER", manual)
    return manual

"""Migration 0005: text stored before the entrances checked it is made showable, so the screens and
the next-task API that answered 500 on it answer again."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from annotations.models import Task
from tests.conftest import join

pytestmark = pytest.mark.skipif(
    connection.vendor == "postgresql", reason="PostgreSQL never stored a lone surrogate in a JSON column"
)


def test_stored_lone_surrogates_are_repaired_and_the_task_is_served_again(transactional_db, make_user):
    executor = MigrationExecutor(connection)
    executor.migrate([("annotations", "0004_project_members_are_memberships")])
    old = executor.loader.project_state([("annotations", "0004_project_members_are_memberships")]).apps
    project = old.get_model("annotations", "Project").objects.create(name="P", slug="p", kind="write")
    old.get_model("annotations", "Task").objects.create(
        project=project,
        payload={"prompt": "Broken \ud800 text", "k\udc00": "fine"},
        references=[{"id": "r1", "title": "T\ud800", "body": "b"}],
    )
    call_command("migrate", "annotations", verbosity=0)
    task = Task.objects.get()
    assert task.payload == {"prompt": "Broken \ufffd text", "k\ufffd": "fine"}
    assert task.references[0]["title"] == "T\ufffd"
    annotator = make_user("ann")
    join(task.project, annotator)
    api = APIClient()
    api.force_authenticate(annotator)
    response = api.get(f"/api/projects/{task.project_id}/next/")
    assert response.status_code == 200 and response.json()["payload"]["prompt"] == "Broken \ufffd text"

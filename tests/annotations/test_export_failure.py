"""A stored row that cannot be encoded, or any failure in the middle of a streamed export, ends the
download (never a hang) and leaves the export marked failed with the reason."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from rest_framework.authtoken.models import Token

from annotations.models import Annotation, AnnotationVersion, Export, Membership
from annotations.services import io_export
from annotations.services.io import export_create, export_stream
from tests.annotations.review_helpers import submitted

LONE = "broken \ud800 text"
sqlite_only = pytest.mark.skipif(
    "connection.vendor != 'sqlite'", reason="PostgreSQL refuses to store a lone surrogate in the first place"
)


def _work(make_project, make_user, n=3):
    people = [make_user(f"f{i}") for i in range(n)]
    project = make_project(members=people, tasks=1, overlap=n)
    work = [submitted(project, person, result={"text": f"Answer {i}."}) for i, person in enumerate(people)]
    return project, work


def _store_lone_surrogate(annotation):
    """As data stored before every entrance refused it (the validators would refuse it today)."""
    Annotation.objects.filter(pk=annotation.pk).update(result={"text": LONE})
    AnnotationVersion.objects.filter(annotation=annotation).update(result={"text": LONE})


@sqlite_only
def test_jsonl_writes_a_lone_surrogate_escaped_and_the_export_stays_ready(make_project, make_user):
    project, work = _work(make_project, make_user)
    _store_lone_surrogate(work[1])
    export = export_create(project=project, fmt="jsonl")
    body = "".join(export_stream(export=export)).encode("utf-8")  # encodable: nothing unpaired is written
    rows = {r["annotation_id"]: r for r in map(json.loads, body.decode("utf-8").splitlines())}
    assert len(rows) == 3
    assert rows[work[1].pk]["result"] == {"text": LONE}  # the JSON escape reads back as what was stored
    assert b"\\ud800" in body
    export.refresh_from_db()
    assert (export.state, export.failure) == ("ready", "")


@sqlite_only
def test_csv_with_an_unencodable_cell_fails_the_export_with_the_reason(make_project, make_user):
    project, work = _work(make_project, make_user)
    _store_lone_surrogate(work[1])
    export = export_create(project=project, fmt="csv")
    pieces = []
    with pytest.raises(io_export.ExportFailed) as caught:
        for piece in export_stream(export=export, chunk_size=1):
            pieces.append(piece)
    rows = list(csv.reader(io.StringIO("".join(pieces))))
    assert [int(r[0]) for r in rows[1:]] == [work[0].pk]  # the header and the rows before the bad one
    export.refresh_from_db()
    assert export.state == "failed"
    assert f"annotation {work[1].pk}" in export.failure and "text" in export.failure
    assert "unpaired UTF-16 surrogate" in export.failure
    assert str(caught.value) == export.failure


@sqlite_only
def test_csv_writes_the_result_column_escaped_when_only_it_holds_a_lone_surrogate(make_project, make_user):
    project, work = _work(make_project, make_user)
    stored = {"text": "Fine.", "note": LONE}
    Annotation.objects.filter(pk=work[0].pk).update(result=stored)
    AnnotationVersion.objects.filter(annotation=work[0]).update(result=stored)
    export = export_create(project=project, fmt="csv")
    text = "".join(export_stream(export=export))
    text.encode("utf-8")
    records = {int(r[0]): r for r in list(csv.reader(io.StringIO(text)))[1:]}
    assert json.loads(records[work[0].pk][-1]) == stored and len(records) == 3
    export.refresh_from_db()
    assert export.state == "ready"


def test_a_failure_mid_stream_ends_the_download_and_marks_the_export_failed(make_project, make_user, monkeypatch):
    project, work = _work(make_project, make_user)
    export = export_create(project=project, fmt="jsonl")
    real = io_export.jsonl_row

    def breaks_on_the_second(*, annotation, **kwargs):
        if annotation.pk == work[1].pk:
            raise RuntimeError("the database went away")
        return real(annotation=annotation, **kwargs)

    monkeypatch.setattr(io_export, "jsonl_row", breaks_on_the_second)
    body = b"".join(io_export.export_download(export=export, chunk_size=1)).decode("utf-8")
    *rows, last = [json.loads(line) for line in body.splitlines()]
    assert [r["annotation_id"] for r in rows] == [work[0].pk]
    export.refresh_from_db()
    assert export.state == "failed" and "the database went away" in export.failure
    assert last == {"export_failed": {"export": str(export.uid), "reason": export.failure}}

    monkeypatch.setattr(io_export, "jsonl_row", real)
    assert len(b"".join(io_export.export_download(export=export)).splitlines()) == 3
    export.refresh_from_db()
    assert (export.state, export.failure) == ("ready", "")  # a complete download clears the failure


@sqlite_only
def test_the_export_command_exits_non_zero_when_the_export_fails(make_project, make_user, tmp_path):
    project, work = _work(make_project, make_user)
    _store_lone_surrogate(work[0])
    with pytest.raises(CommandError, match="unpaired UTF-16 surrogate"):
        call_command(
            "export", project.slug, "--format", "csv", "--output", str(tmp_path / "x.csv"), stderr=io.StringIO()
        )
    assert Export.objects.get().state == "failed"


@sqlite_only
def test_an_unencodable_export_ends_through_the_real_asgi_server_and_is_marked_failed(
    daphne_server, make_project, make_user, project_admin
):
    import httpx

    project, work = _work(make_project, make_user)
    Membership.objects.create(project=project, user=project_admin, role=Membership.Role.ADMIN)
    _store_lone_surrogate(work[1])
    headers = {"Authorization": f"Token {Token.objects.create(user=project_admin).key}"}
    timeout = httpx.Timeout(30, read=20)  # a hang would end as ReadTimeout
    with httpx.Client(base_url=daphne_server.url, headers=headers, timeout=timeout) as client:
        for fmt in ("csv", "jsonl"):
            uid = client.post(f"/api/projects/{project.pk}/export/", json={"format": fmt}).json()["uid"]
            with client.stream("GET", f"/api/exports/{uid}/download/") as response:
                assert response.status_code == 200
                text = "".join(response.iter_text())
            detail = client.get(f"/api/exports/{uid}/").json()
            if fmt == "csv":
                assert text.splitlines()[-1].startswith("#export failed")
                assert detail["state"] == "failed" and "unpaired UTF-16 surrogate" in detail["failure"]
            else:
                assert [json.loads(line)["result"]["text"] for line in text.splitlines()][1] == LONE
                assert detail["state"] == "ready"
        # The server still answers after a failed stream.
        assert client.get(f"/api/projects/{project.pk}/export/").status_code == 200
    assert connection.vendor == "sqlite"


def test_a_row_that_breaks_mid_stream_ends_the_download_through_the_real_asgi_server(
    daphne_server, make_project, make_user, project_admin
):
    """On either database: a stored comparison without its overall preference cannot become a pair."""
    import httpx

    people = [make_user(f"c{i}") for i in range(3)]
    project = make_project("compare", members=[*people], tasks=1, overlap=3)
    Membership.objects.create(project=project, user=project_admin, role=Membership.Role.ADMIN)
    pair = {"dimensions": {}, "overall": {"choice": "a", "strength": 2}, "rationale": "A."}
    dims = {"accuracy": {"choice": "a", "strength": 1}, "helpfulness": {"choice": "a", "strength": 1}}
    work = [submitted(project, person, result={**pair, "dimensions": dims}) for person in people]
    AnnotationVersion.objects.filter(annotation=work[1]).update(result={"text": "not a comparison"})
    headers = {"Authorization": f"Token {Token.objects.create(user=project_admin).key}"}
    with httpx.Client(base_url=daphne_server.url, headers=headers, timeout=httpx.Timeout(30, read=20)) as client:
        uid = client.post(f"/api/projects/{project.pk}/export/", json={"format": "trl"}).json()["uid"]
        with client.stream("GET", f"/api/exports/{uid}/download/") as response:
            assert response.status_code == 200
            lines = [json.loads(line) for line in response.iter_lines() if line]
        detail = client.get(f"/api/exports/{uid}/").json()
    assert lines[-1]["export_failed"]["export"] == uid
    assert detail["state"] == "failed" and "overall" in detail["failure"]
    assert lines[-1]["export_failed"]["reason"] == detail["failure"]

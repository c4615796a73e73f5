"""Task import: JSONL, CSV, Label Studio JSON; per-line errors; no duplicates on re-import."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from annotations.models import Task
from annotations.services.io import tasks_import_file


def _jsonl(*rows) -> io.BytesIO:
    return io.BytesIO("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows).encode())


def test_jsonl_rows_become_tasks_with_every_field(make_project):
    project = make_project(tasks=0)
    row = {
        "external_id": "essay-1",
        "prompt": "Explain estoppel.",
        "references": [
            {"title": "Casebook", "body": "Estoppel is ..."},
            {"id": "w", "title": "Wiki", "url": "https://x"},
        ],
        "domain_tags": ["law"],
        "difficulty": 4,
        "model_uncertainty": 0.75,
        "gold_answer": "A bar to going back on one's word.",
        "batch": 2,
    }
    report = tasks_import_file(project=project, stream=_jsonl(row), fmt="jsonl")
    assert (report.created, report.skipped, report.errors) == (1, 0, [])
    task = Task.objects.get(project=project)
    assert task.external_id == "essay-1"
    assert task.payload == {"prompt": "Explain estoppel."}
    assert task.references == [
        {"id": "r1", "title": "Casebook", "body": "Estoppel is ..."},
        {"id": "w", "title": "Wiki", "url": "https://x"},
    ]
    assert (task.domain_tags, task.difficulty, task.model_uncertainty, task.batch) == (["law"], 4, 0.75, 2)
    assert task.gold_answer == {"text": "A bar to going back on one's word."}
    assert (task.slots_taken, task.is_full) == (0, False)


def test_bad_rows_are_reported_by_line_and_the_good_ones_kept(make_project):
    project = make_project(tasks=0)
    stream = _jsonl(
        {"prompt": "Good one"},
        {"prompt": "Too hard", "difficulty": 7},
        "{not json",
        {"promt": "typo"},
        {"prompt": "Good two", "model_uncertainty": "high"},
        {"prompt": "   "},
        {"prompt": "Good three", "references": [{"title": "No body"}]},
        {"prompt": "Good four"},
    )
    report = tasks_import_file(project=project, stream=stream, fmt="jsonl")
    assert report.created == 2
    reasons = {e.line: e.reason for e in report.errors}
    assert sorted(reasons) == [2, 3, 4, 5, 6, 7]
    assert reasons[2] == "difficulty must be 1-5, not 7"
    assert reasons[3].startswith("not valid JSON")
    assert "unknown field(s) 'promt'" in reasons[4]
    assert reasons[5] == "model_uncertainty must be a number between 0 and 1, not 'high'"
    assert reasons[6] == "prompt is empty"
    assert reasons[7] == "references[1] needs a body or a url"
    assert sorted(Task.objects.filter(project=project).values_list("payload__prompt", flat=True)) == [
        "Good four",
        "Good one",
    ]


def test_reimporting_the_same_file_creates_nothing_new(make_project):
    project = make_project(tasks=0)
    rows = [{"external_id": "a", "prompt": "One"}, {"prompt": "Two, no id"}, {"prompt": "Two, no id"}]
    first = tasks_import_file(project=project, stream=_jsonl(*rows), fmt="jsonl")
    assert (first.created, first.skipped) == (2, 1)  # the same content twice in one file counts once
    second = tasks_import_file(project=project, stream=_jsonl(*rows), fmt="jsonl")
    assert (second.created, second.skipped, second.errors) == (0, 3, [])
    assert Task.objects.filter(project=project).count() == 2
    hashed = Task.objects.get(project=project, payload__prompt="Two, no id")
    assert hashed.external_id.startswith("sha256:")


def test_csv_maps_columns_and_counts_lines_across_quoted_newlines(make_project):
    project = make_project("classify", tasks=0)
    text = (
        "external_id,text,domain_tags,difficulty,gold_answer\n"
        'c1,"first line\nsecond line",medicine;law,2,positive\n'
        "c2,Plain text,,9,\n"
        "c3,Another,,,sarcastic\n"
        "c4,Fine,,1,negative\n"
    )
    report = tasks_import_file(project=project, stream=io.BytesIO(text.encode()), name="rows.csv")
    assert report.created == 2
    assert [(e.line, e.reason) for e in report.errors] == [
        (4, "difficulty must be 1-5, not 9"),
        (5, "gold_answer: unknown label(s) 'sarcastic'"),
    ]
    first = Task.objects.get(project=project, external_id="c1")
    assert first.payload == {"text": "first line\nsecond line"}
    assert first.domain_tags == ["medicine", "law"]
    assert first.gold_answer == {"label": "positive"}


def test_csv_with_an_unknown_column_imports_nothing_and_says_which(make_project):
    project = make_project(tasks=0)
    text = "prompt,dificulty\nExplain,3\n"
    report = tasks_import_file(project=project, stream=io.BytesIO(text.encode()), fmt="csv")
    assert report.created == 0
    assert report.errors[0].line == 1
    assert "unknown column(s) 'dificulty'" in report.errors[0].reason


def test_label_studio_tasks_use_data_and_id_and_report_the_line_of_each_item(make_project):
    project = make_project("compare", tasks=0)
    tasks = [
        {"id": 101, "data": {"prompt": "Q1", "response_a": "A1", "response_b": "B1", "difficulty": 5}},
        {"id": 102, "data": {"prompt": "Q2", "response_a": "A2"}},
        {"data": {"prompt": "Q3", "response_a": "A3", "response_b": "B3", "source": "hh"}, "annotations": []},
    ]
    text = json.dumps(tasks, indent=2)
    report = tasks_import_file(project=project, stream=io.BytesIO(text.encode()), name="export.json")
    assert report.created == 2
    second_item_line = text.splitlines().index("  {", 2) + 1  # indent=2 puts each task's "{" on its own line
    assert [(e.line, e.reason) for e in report.errors] == [(second_item_line, "response_b is missing")]
    first = Task.objects.get(project=project, external_id="101")
    assert first.payload == {"prompt": "Q1", "response_a": "A1", "response_b": "B1"}
    assert first.difficulty == 5
    third = Task.objects.get(project=project, payload__prompt="Q3")
    assert third.payload["source"] == "hh"  # other data fields are kept in the payload


def test_a_label_studio_file_that_is_not_a_list_is_refused_with_the_reason(make_project):
    project = make_project(tasks=0)
    report = tasks_import_file(project=project, stream=io.BytesIO(b'{"data": {}}'), fmt="labelstudio")
    assert report.created == 0
    assert "must start with '['" in report.errors[0].reason


def test_the_command_imports_by_slug_and_reports_lines(make_project, tmp_path):
    project = make_project(tasks=0, slug="essays")
    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps({"prompt": "One"}) + "\n" + json.dumps({"prompt": 3}) + "\n")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 row refused"):  # exits non-zero; the valid row is kept
        call_command("import_tasks", "essays", str(path), stdout=out, stderr=err)
    assert out.getvalue().strip() == "essays: 1 created, 0 already present, 1 refused"
    assert err.getvalue().strip() == "line 2: prompt must be text, not int"
    with pytest.raises(CommandError):
        call_command("import_tasks", str(project.pk), str(path), stdout=out, stderr=io.StringIO())
    assert "essays: 0 created, 1 already present, 1 refused" in out.getvalue()
    with pytest.raises(CommandError, match="No project with id or slug 'nope'"):
        call_command("import_tasks", "nope", str(path))


def test_admin_upload_shows_the_per_line_report(client, project_admin, make_project):
    project = make_project(tasks=0, members=[project_admin])
    client.force_login(project_admin)
    url = f"/admin/annotations/project/{project.pk}/import/"
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("t.jsonl", b'{"prompt": "Fine"}\n{"prompt": "Hard", "difficulty": 0}\n')
    body = client.post(url, {"file": upload}).content.decode()
    assert "1 created, 0 already present" in body
    assert "difficulty must be 1-5, not 0" in body
    assert Task.objects.filter(project=project).count() == 1
    change = client.get(f"/admin/annotations/project/{project.pk}/change/").content.decode()
    assert f"/admin/annotations/project/{project.pk}/import/" in change


def test_annotators_cannot_reach_the_admin_upload(client, annotator, make_project):
    project = make_project(tasks=0)
    client.force_login(annotator)
    response = client.post(
        f"/admin/annotations/project/{project.pk}/import/", {"file": SimpleUploadedFile("t.jsonl", b'{"prompt":"x"}')}
    )
    assert response.status_code == 302
    assert Task.objects.filter(project=project).count() == 0

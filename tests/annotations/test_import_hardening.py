"""Hostile task files: every bad row is refused by line with its reason, every valid row is kept.

Each test here was written against a hole a probe found (issue 8, items 2, 6 and 12): nesting
10,000 deep, 5,000-digit integers, batch 2**64, NaN / 1e400, lone surrogates, CSV fields past
csv.field_size_limit, Latin-1 and UTF-16 files, and javascript:/data: reference links.
"""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from annotations.models import Task
from annotations.services.io import tasks_import_file

DEEP = "[" * 10_000 + "]" * 10_000


def _lines(*rows: str) -> bytes:
    return "".join(r + "\n" for r in rows).encode()


def _prompts(project) -> list[str]:
    return sorted(Task.objects.filter(project=project).values_list("payload__prompt", flat=True))


@pytest.fixture
def superuser(make_user):
    return make_user("boss", role=None, is_superuser=True, is_staff=True)


def test_jsonl_hostile_rows_are_refused_by_line_and_the_valid_rows_kept(make_project):
    project = make_project(tasks=0)
    text = _lines(
        '{"prompt": "Good one"}',
        '{"prompt": "Deep", "payload": {"x": ' + DEEP + "}}",
        '{"prompt": "Huge", "difficulty": ' + "9" * 5000 + "}",
        '{"prompt": "Batch", "batch": ' + str(2**64) + "}",
        '{"payload": {"prompt": "NaN", "score": NaN}}',
        '{"payload": {"prompt": "Inf", "score": 1e400}}',
        '{"prompt": "Lone \\ud800 surrogate"}',
        '{"prompt": "Good two"}',
        '{"prompt": "Nul \\u0000 here"}',
        '{"prompt": "Wide batch", "batch": ' + str(2**40) + "}",
        '{"prompt": "Key", "payload": {"\\udfff": 1}}',
        '{"prompt": "Good three"}',
    )
    report = tasks_import_file(project=project, stream=io.BytesIO(text), fmt="jsonl")
    reasons = {e.line: e.reason for e in report.errors}
    assert report.created == 3
    assert sorted(reasons) == [2, 3, 4, 5, 6, 7, 9, 10, 11]
    assert "nested more than" in reasons[2]
    assert "integer" in reasons[3]
    assert "64-bit" in reasons[4]
    assert "NaN" in reasons[5]
    assert "not finite" in reasons[6] and "score" in reasons[6]
    assert "surrogate" in reasons[7] and "prompt" in reasons[7]
    assert "NUL" in reasons[9]
    assert reasons[10].startswith("batch must be")
    assert "surrogate" in reasons[11]
    assert _prompts(project) == ["Good one", "Good three", "Good two"]


def test_csv_hostile_values_are_refused_by_line_and_a_long_field_does_not_stop_the_file(make_project):
    project = make_project(tasks=0)
    long_text = "x" * 200_000  # past csv's default field_size_limit (131,072)
    text = (
        "prompt,batch,difficulty,model_uncertainty,references\n"
        "Good one,,,,\n"
        f"{long_text},,,,\n"
        f"Batch,{2**64},,,\n"
        "Digit,,²,,\n"
        f"Big,,{'9' * 5000},,\n"
        f"Uncertain,,,{'1' * 5000},\n"
        'Ref,,,,"[{""title"": ""T"", ""body"": ""\\ud800""}]"\n'
        "Good two,,,,\n"
    )
    report = tasks_import_file(project=project, stream=io.BytesIO(text.encode()), fmt="csv")
    reasons = {e.line: e.reason for e in report.errors}
    assert sorted(reasons) == [4, 5, 6, 7, 8]
    assert reasons[4].startswith("batch must be")
    assert reasons[5].startswith("difficulty must be a whole number")
    assert len(reasons[6]) < 200 and len(reasons[7]) < 200  # the value is not echoed in full
    assert "surrogate" in reasons[8] and "references" in reasons[8]
    assert report.created == 3
    assert Task.objects.filter(project=project, payload__prompt=long_text).count() == 1


def test_a_csv_value_over_the_import_limit_is_refused_and_the_rows_after_it_kept(make_project):
    project = make_project(tasks=0)
    huge = "y" * 1_100_000
    text = f'prompt\nGood one\n"{huge}\nstill the same field"\nGood two\n'
    report = tasks_import_file(project=project, stream=io.BytesIO(text.encode()), fmt="csv")
    assert [e.line for e in report.errors] == [3]
    assert "characters" in report.errors[0].reason
    assert _prompts(project) == ["Good one", "Good two"]


def test_a_latin1_jsonl_file_keeps_every_row_and_the_report_says_how_it_was_read(make_project):
    project = make_project(tasks=0)
    text = _lines('{"prompt": "Plain"}', '{"prompt": "Café crème"}', '{"prompt": "Also plain"}').decode()
    report = tasks_import_file(project=project, stream=io.BytesIO(text.encode("latin-1")), fmt="jsonl")
    assert (report.created, report.errors) == (3, [])
    assert _prompts(project) == ["Also plain", "Café crème", "Plain"]
    assert any("not UTF-8" in note and "Windows-1252" in note and "line 2" in note for note in report.notes)


def test_a_mostly_utf8_file_with_one_latin1_line_keeps_the_utf8_rows_intact(make_project):
    project = make_project(tasks=0)
    raw = '{"prompt": "Ünïcode ok"}\n'.encode() + '{"prompt": "Naïve"}\n'.encode("latin-1")
    report = tasks_import_file(project=project, stream=io.BytesIO(raw), fmt="jsonl")
    assert (report.created, report.errors) == (2, [])
    assert _prompts(project) == ["Naïve", "Ünïcode ok"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_utf16_and_bom_files_keep_every_row(make_project, encoding):
    project = make_project(tasks=0)
    text = 'prompt,domain_tags\nÉté,law\n"Two\nlines",\nThird,\n'
    report = tasks_import_file(project=project, stream=io.BytesIO(text.encode(encoding)), fmt="csv")
    assert (report.created, report.errors) == (3, [])
    assert _prompts(project) == ["Third", "Two\nlines", "Été"]


def test_a_label_studio_file_in_latin1_is_read(make_project):
    project = make_project("classify", tasks=0)
    tasks = [{"id": 1, "data": {"text": "Déjà vu"}}, {"id": 2, "data": {"text": "Plain"}}]
    text = json.dumps(tasks, ensure_ascii=False)
    report = tasks_import_file(project=project, stream=io.BytesIO(text.encode("latin-1")), name="export.json")
    assert (report.created, report.errors) == (2, [])
    assert Task.objects.filter(project=project, payload__text="Déjà vu").exists()
    assert report.notes


def test_label_studio_hostile_items_are_refused_and_the_items_after_them_kept(make_project):
    project = make_project("classify", tasks=0)
    items = [
        '{"id": 1, "data": {"text": "Good one"}}',
        '{"id": 2, "data": {"text": "Deep", "x": ' + DEEP + "}}",
        '{"id": 3, "data": {"text": "NaN", "s": NaN}}',
        '{"id": 4, "data": {"text": "Big", "n": ' + "7" * 5000 + "}}",
        '{"id": 5, "data": {"text": "Lone \\udc00"}}',
        '{"id": 6, "data": {"text": "Inf", "s": -1e400}}',
        '{"id": 7, "data": {"text": "Broken", }}',
        '{"id": 8, "data": {"text": "Good two"}}',
    ]
    text = "[\n" + ",\n".join(items) + "\n]\n"
    report = tasks_import_file(project=project, stream=io.BytesIO(text.encode()), fmt="labelstudio")
    reasons = {e.line: e.reason for e in report.errors}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8]
    assert "nested more than" in reasons[3]
    assert "NaN" in reasons[4]
    assert "surrogate" in reasons[6]
    assert "not valid JSON" in reasons[8]
    assert report.created == 2
    assert sorted(Task.objects.filter(project=project).values_list("external_id", flat=True)) == ["1", "8"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<b>x</b>", "ftp://x"])
def test_a_reference_link_that_is_not_a_web_address_is_refused_by_line(make_project, url):
    project = make_project(tasks=0)
    bad = {"prompt": "Bad link", "references": [{"title": "T", "url": url}]}
    good = {"prompt": "Good link", "references": [{"title": "T", "url": "https://example.org/a"}]}
    stream = io.BytesIO(_lines(json.dumps(bad), json.dumps(good)))
    report = tasks_import_file(project=project, stream=stream, fmt="jsonl")
    assert report.created == 1
    assert [e.line for e in report.errors] == [1]
    assert "references[1]" in report.errors[0].reason and "http" in report.errors[0].reason
    assert Task.objects.get(project=project).references[0]["url"] == "https://example.org/a"


@pytest.mark.parametrize(
    "gold", [{"labels": 5}, {"label": {"x": 1}}, {"labels": [["positive"]]}, 7, {"label": None, "labels": None}]
)
def test_an_odd_gold_answer_is_refused_not_a_crash(make_project, gold):
    project = make_project("classify", tasks=0)
    rows = _lines(json.dumps({"text": "Odd", "gold_answer": gold}), json.dumps({"text": "Fine"}))
    report = tasks_import_file(project=project, stream=io.BytesIO(rows), fmt="jsonl")
    assert report.created == 1
    assert [e.line for e in report.errors] == [1] and "gold_answer" in report.errors[0].reason


def test_the_api_import_refuses_hostile_items_by_position_and_keeps_the_rest(make_project, superuser):
    project = make_project(tasks=0)
    body = (
        '[{"prompt": "Good one"}, {"prompt": "Lone \\ud800"}, {"payload": {"prompt": "Inf", "s": 1e400}},'
        ' {"prompt": "Batch", "batch": ' + str(2**64) + '}, {"prompt": "Wide", "batch": 4294967296},'
        ' {"prompt": "Ref", "references": [{"title": "T", "url": "javascript:alert(1)"}]},'
        ' {"prompt": "Good two"}]'
    )
    api = APIClient()
    api.force_authenticate(superuser)
    response = api.post(f"/api/projects/{project.pk}/tasks/", data=body, content_type="application/json")
    assert response.status_code == 201
    answer = response.json()
    assert answer["created"] == 2
    assert [e["item"] for e in answer["errors"]] == [2, 3, 4, 5, 6]
    assert _prompts(project) == ["Good one", "Good two"]


def test_the_command_exits_non_zero_when_a_row_is_refused_and_names_the_line(make_project, tmp_path):
    make_project(tasks=0, slug="essays")
    path = tmp_path / "tasks.jsonl"
    path.write_bytes(_lines('{"prompt": "One"}', '{"prompt": "Two \\ud800"}', '{"prompt": "Three"}'))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 row"):
        call_command("import_tasks", "essays", str(path), stdout=out, stderr=err)
    assert "line 2:" in err.getvalue() and "surrogate" in err.getvalue()
    assert "essays: 2 created, 0 already present, 1 refused" in out.getvalue()
    assert Task.objects.filter(project__slug="essays").count() == 2


def test_the_command_dry_run_checks_everything_and_writes_nothing(make_project, tmp_path):
    project = make_project(tasks=0, slug="essays")
    path = tmp_path / "tasks.csv"
    path.write_bytes("prompt,difficulty\nOne,\nTwo,9\nThree,2\n".encode("utf-16"))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_tasks", "essays", str(path), "--dry-run", stdout=out, stderr=err)
    assert "line 3: difficulty must be 1-5, not 9" in err.getvalue()
    assert "dry run" in out.getvalue() and "2 would be created" in out.getvalue()
    assert not Task.objects.filter(project=project).exists()
    path = tmp_path / "good.jsonl"
    path.write_bytes(b'{"prompt": "Only good"}\n')
    call_command("import_tasks", "essays", str(path), "--dry-run", stdout=out, stderr=io.StringIO())
    assert not Task.objects.filter(project=project).exists()
    call_command("import_tasks", "essays", str(path), stdout=out, stderr=io.StringIO())
    assert _prompts(project) == ["Only good"]


def test_the_command_refuses_an_odd_project_reference_with_a_message(make_project, tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'{"prompt": "x"}\n')
    for ref in ("²", "9" * 40):
        with pytest.raises(CommandError, match="No project"):
            call_command("import_tasks", ref, str(path), stdout=io.StringIO(), stderr=io.StringIO())


def test_the_admin_upload_reports_hostile_rows_and_keeps_the_valid_ones(client, superuser, make_project):
    project = make_project(tasks=0)
    client.force_login(superuser)
    url = f"/admin/annotations/project/{project.pk}/import/"
    raw = _lines('{"prompt": "Été"}', '{"prompt": "x", "batch": ' + str(2**64) + "}", '{"prompt": "Fine"}')
    upload = SimpleUploadedFile("t.jsonl", raw.decode().encode("utf-16"))
    response = client.post(url, {"file": upload})
    body = response.content.decode()
    assert response.status_code == 200
    assert "2 created, 0 already present" in body and "1 refused" in body
    assert "64-bit" in body
    assert _prompts(project) == ["Fine", "Été"]
    latin = SimpleUploadedFile("l.jsonl", '{"prompt": "Crème"}\n'.encode("latin-1"))
    body = client.post(url, {"file": latin}).content.decode()
    assert "1 created" in body and "Windows-1252" in body


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        (b"", "application/json", 400),
        (b"[]", "application/json", 200),
        (b'{"prompt": "x"}', "application/json", 400),
        (b'[{"prompt": "caf\xe9"}]', "application/json", 400),  # not UTF-8: said so, not a 500
        (b"[" * 10_000 + b"]" * 10_000, "application/json", 200),  # one item, refused by position
        (b"prompt=x", "application/x-www-form-urlencoded", 415),
        (b'[{"prompt": "ok"}, {"prompt": "cut', "application/json", 201),
    ],
)
def test_the_api_import_answers_odd_bodies_with_a_4xx_or_a_report(make_project, superuser, body, content_type, status):
    project = make_project(tasks=0)
    api = APIClient()
    api.force_authenticate(superuser)
    response = api.post(f"/api/projects/{project.pk}/tasks/", data=body, content_type=content_type)
    assert response.status_code == status, response.content
    assert "detail" in response.json() or "errors" in response.json()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "latin-1"])
@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"])
def test_files_with_any_line_ending_keep_their_lines(make_project, encoding, newline):
    """Old Mac spreadsheets save CSV with CR alone; lines (and so the reported line numbers) still count."""
    project = make_project(tasks=0)
    rows = ["prompt,difficulty", "Première,", '"Two', 'lines",2', "Bad,9", "Last,"]
    raw = (newline.join(rows) + newline).encode(encoding)
    report = tasks_import_file(project=project, stream=io.BytesIO(raw), fmt="csv")
    assert [(e.line, e.reason) for e in report.errors] == [(5, "difficulty must be 1-5, not 9")]
    assert _prompts(project) == ["Last", "Première", f"Two{newline}lines"]
    lines = ['{"prompt": "Un"}', '{"prompt": "Deux", "batch": -1}', '{"prompt": "Trois"}']
    jsonl = newline.join(lines).encode(encoding)
    report = tasks_import_file(project=make_project(tasks=0), stream=io.BytesIO(jsonl), fmt="jsonl")
    assert (report.created, [e.line for e in report.errors]) == (2, [2])

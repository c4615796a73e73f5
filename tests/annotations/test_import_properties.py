"""Property tests over the import parsers and the result validators (issue 8).

Whatever the file or the result holds (random text with lone surrogates and control characters,
huge and non-finite numbers, deep nesting, odd encodings), the import never raises, names each
refused row by its line with a reason, and keeps every valid row; a validator either returns a
result that can be stored and shown, or a ValidationError naming fields, never anything else.
"""

import csv
import io
import json
import re

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from annotations.inputs import json_problem
from annotations.models import Project, Task
from annotations.services.io_import import RowInvalid, json_list_items, tasks_import_file
from annotations.validation import result_storable_errors, result_validate

NEWLINES = re.compile(r"\r\n|\r|\n")
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
SPECIALS = ["\ud800", "\udfff", "\x00", "\r", "\n", "\t", "\x1b", "\u2028", "\ufeff", "\x85", "é", "😀", '"', ",", "\\"]

hostile_text = st.lists(st.one_of(st.text(max_size=8), st.sampled_from(SPECIALS)), max_size=6).map("".join)
numbers = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**30, 1e308]),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, hostile_text),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(hostile_text, children, max_size=3)),
    max_leaves=12,
)
raw_garbage = st.one_of(
    st.integers(min_value=1, max_value=3000).map(
        lambda d: '{"prompt": "deep", "payload": {"x": ' + "[" * d + "]" * d + "}}"
    ),
    st.integers(min_value=4300, max_value=6000).map(lambda n: '{"prompt": "big", "batch": ' + "9" * n + "}"),
    st.sampled_from(
        ['{"prompt": NaN}', '{"prompt": "x", "difficulty": Infinity}', "{not json", "[1, 2", '"just text"']
    ),
    hostile_text.map(lambda t: t.replace("\n", " ").replace("\r", " ")),
)
# Garbage that is self-delimited inside a JSON list (an unclosed '[' or '"' may truly swallow what follows).
list_garbage = st.one_of(
    st.integers(min_value=1, max_value=3000).map(lambda d: '{"id": "d", "data": {"x": ' + "[" * d + "]" * d + "}}"),
    st.integers(min_value=4300, max_value=6000).map(lambda n: '{"id": "b", "data": {"n": ' + "9" * n + "}}"),
    st.sampled_from(['{"data": {"text": NaN}}', '{"data": {"text": "x",}}', "{not json}", "[1, 2]", "-Infinity", "01"]),
    hostile_text.filter(lambda t: t.strip(" \t\r\n") and not set(t) & set('"[]{},\\')),
)
# A valid prompt: any text that is not blank and holds nothing unstorable.
valid_prompts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=40
).filter(lambda t: t.strip())
hostile_fields = st.dictionaries(
    st.sampled_from(["prompt", "batch", "difficulty", "model_uncertainty", "references", "domain_tags", "gold_answer"]),
    json_values,
    max_size=4,
)


def _line_checks(report, *, lines: int) -> None:
    assert all(1 <= e.line <= lines for e in report.errors), (lines, ascii(report.errors))
    # One reason per refused row (a list that stops early may say so on the line of its last task).
    rows = [e.line for e in report.errors if "the rest was not read" not in e.reason and "not closed" not in e.reason]
    assert len(set(rows)) == len(rows), ascii(report.errors)
    assert all(isinstance(e.reason, str) and e.reason for e in report.errors)
    for e in report.errors:
        e.reason.encode("utf-8")  # the reason itself can be shown
    for text in report.notes:
        text.encode("utf-8")


@pytest.mark.django_db
@SETTINGS
@given(
    rows=st.lists(
        st.one_of(
            valid_prompts.map(lambda p: ("valid", p)),
            hostile_fields.map(lambda r: ("fields", r)),
            raw_garbage.map(lambda r: ("raw", r)),
        ),
        min_size=1,
        max_size=8,
    ),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"]),
)
def test_jsonl_never_raises_and_keeps_every_valid_row(make_project, rows, encoding):
    project = make_project(tasks=0)
    lines, valid = [], {}
    for i, (kind, row) in enumerate(rows, start=1):
        if kind == "valid":
            valid[i] = f"v{i}"
            lines.append(json.dumps({"external_id": f"v{i}", "prompt": row}, ensure_ascii=False))
        elif kind == "fields":
            lines.append(json.dumps(row))  # ASCII: lone surrogates as \ud800, NaN, Infinity, wide ints
        else:
            lines.append(row)
    if encoding in ("utf-16-le", "utf-16-be"):  # no byte-order mark: told by the zero bytes of ASCII text
        lines.insert(0, '{"prompt": "A first row in plain ASCII, as JSON and CSV files begin"}')
        valid = {i + 1: v for i, v in valid.items()}
    text = "\n".join(lines) + "\n"
    raw = text.encode(encoding, errors="surrogatepass")
    report = tasks_import_file(project=project, stream=io.BytesIO(raw), fmt="jsonl")
    note(ascii(raw[:400]))
    _line_checks(report, lines=len(lines))
    refused = {e.line for e in report.errors}
    assert not refused & set(valid), [e for e in report.errors if e.line in valid]
    stored = set(Task.objects.filter(project=project).values_list("external_id", flat=True))
    assert set(valid.values()) <= stored


@pytest.mark.django_db
@SETTINGS
@given(
    prompts=st.lists(st.one_of(valid_prompts, hostile_text), min_size=1, max_size=8),
    numbers=st.lists(st.one_of(st.just(""), hostile_text, numbers.map(str)), min_size=8, max_size=8),
    encoding=st.sampled_from(["utf-8", "utf-16"]),
)
def test_csv_never_raises_and_keeps_every_valid_row(make_project, prompts, numbers, encoding):
    project = make_project(tasks=0)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["external_id", "prompt", "batch"])
    starts, valid = [], {}
    line = 2
    for i, prompt in enumerate(prompts):
        batch = numbers[i]
        starts.append(line)
        before = out.tell()
        writer.writerow([f"c{i}", prompt, batch])
        line += len(NEWLINES.findall(out.getvalue()[before:]))  # csv counts CR alone as a line end too
        if prompt.strip() and "\x00" not in prompt and not any("\ud800" <= c <= "\udfff" for c in prompt) and not batch:
            valid[starts[-1]] = f"c{i}"
    raw = out.getvalue().encode(encoding, errors="surrogatepass")
    report = tasks_import_file(project=project, stream=io.BytesIO(raw), fmt="csv")
    _line_checks(report, lines=line)
    assert {e.line for e in report.errors} <= set(starts)
    assert not {e.line for e in report.errors} & set(valid)
    stored = set(Task.objects.filter(project=project).values_list("external_id", flat=True))
    assert set(valid.values()) <= stored


@pytest.mark.django_db
@SETTINGS
@given(
    prompts=st.lists(
        st.text(alphabet=st.sampled_from("abc xyz,.\"'éèçñüßøÅÆ£§°±µ¶·¼½¾¿×÷"), min_size=1, max_size=20).filter(
            str.strip
        ),
        min_size=1,
        max_size=6,
    )
)
def test_a_latin1_file_keeps_every_row(make_project, prompts):
    project = make_project(tasks=0)
    text = "".join(
        json.dumps({"external_id": f"l{i}", "prompt": p}, ensure_ascii=False) + "\n" for i, p in enumerate(prompts)
    )
    report = tasks_import_file(project=project, stream=io.BytesIO(text.encode("latin-1")), fmt="jsonl")
    assert report.errors == []
    # Read the payload whole: SQLite's key transform would decode a prompt that looks like JSON ('"£"').
    stored = {t.external_id: t.payload["prompt"] for t in Task.objects.filter(project=project)}
    assert set(stored) == {f"l{i}" for i in range(len(prompts))}
    for i, prompt in enumerate(prompts):
        line = json.dumps({"prompt": prompt}, ensure_ascii=False).encode("latin-1")
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            assert stored[f"l{i}"] == prompt  # read by the stated fallback, letter for letter


@pytest.mark.django_db
@SETTINGS
@given(
    items=st.lists(
        st.one_of(
            valid_prompts.map(lambda p: ("valid", p)),
            json_values.map(lambda v: ("value", v)),
            list_garbage.map(lambda r: ("raw", r)),
        ),
        min_size=1,
        max_size=6,
    ),
    indent=st.sampled_from([None, 1, 2]),
    encoding=st.sampled_from(["utf-8", "utf-16", "latin-1"]),
)
def test_label_studio_never_raises_and_keeps_every_valid_item(make_project, items, indent, encoding):
    project = make_project("classify", tasks=0)
    parts, valid = [], set()
    for i, (kind, item) in enumerate(items):
        if kind == "valid":
            valid.add(str(i))
            parts.append(json.dumps({"id": i, "data": {"text": item}}, indent=indent))
        elif kind == "value":
            parts.append(json.dumps({"id": f"x{i}", "data": {"text": "t", "extra": item}}, indent=indent))
        else:
            parts.append(item)
    text = "[\n" + ",\n".join(parts) + "\n]"
    report = tasks_import_file(
        project=project, stream=io.BytesIO(text.encode(encoding, errors="replace")), fmt="labelstudio"
    )
    note(ascii(text[:600]) + " " + encoding + " " + ascii(report.errors))
    _line_checks(report, lines=text.count("\n") + 1)
    stored = set(Task.objects.filter(project=project).values_list("external_id", flat=True))
    # Items before the first one whose end cannot be found are all read; a valid one is never refused.
    if not any("rest was not read" in e.reason for e in report.errors):
        assert valid <= stored


@SETTINGS
@given(
    body=st.one_of(
        st.lists(json_values, max_size=5).map(json.dumps),
        st.lists(raw_garbage, max_size=4).map(lambda r: "[" + ",".join(r) + "]"),
    )
)
def test_an_api_import_body_is_read_item_by_item(body):
    try:
        items = json_list_items(body.encode("utf-8", errors="surrogatepass"))
    except RowInvalid as exc:
        assert "UTF-8" in str(exc) or "JSON list" in str(exc)
        return
    positions = [p for p, _ in items]
    assert positions == list(range(1, len(positions) + 1))
    for _, item in items:
        assert isinstance(item, RowInvalid) or json_problem(item) is None


def _projects(make_project):
    return [
        make_project(Project.Kind.WRITE, tasks=0),
        make_project(Project.Kind.CLASSIFY, tasks=0),
        make_project(Project.Kind.CLASSIFY, tasks=0, multi_label=True),
        make_project(Project.Kind.COMPARE, tasks=0),
    ]


result_shapes = st.one_of(
    st.dictionaries(
        st.sampled_from(["text", "label", "labels", "dimensions", "overall", "rationale", "x"]), json_values, max_size=5
    ),
    st.fixed_dictionaries(
        {
            "dimensions": st.dictionaries(
                st.sampled_from(["accuracy", "helpfulness", "\ud800"]),
                st.fixed_dictionaries(
                    {
                        "choice": st.sampled_from(["a", "b", "tie", "\ud800"]),
                        "strength": st.one_of(numbers, hostile_text),
                    }
                ),
            ),
            "overall": st.fixed_dictionaries({"choice": st.sampled_from(["a", "b", "tie"]), "strength": numbers}),
            "rationale": hostile_text,
        }
    ),
    json_values,
)


@pytest.mark.django_db
@SETTINGS
@given(result=result_shapes)
def test_result_validators_return_a_storable_result_or_name_the_fields(make_project, result):
    for project in _projects(make_project):
        try:
            clean = result_validate(project=project, result=result)
        except ValidationError as exc:
            assert exc.message_dict and all(isinstance(k, str) for k in exc.message_dict)
            for messages in exc.message_dict.values():
                for message in messages:
                    message.encode("utf-8")
        else:
            assert json_problem(clean) is None
            json.dumps(clean, ensure_ascii=False, allow_nan=False).encode("utf-8")
    if isinstance(result, dict):
        # What a draft must pass: no field named exactly when the whole result is storable.
        assert (result_storable_errors(result) == {}) == (json_problem(result) is None)

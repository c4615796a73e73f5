"""Task import from JSONL, CSV and Label Studio task JSON.

Every row is checked on its own: a bad row is reported with its line number and the reason, the
good rows beside it are imported. Re-importing a file never duplicates a task: rows are keyed by
their external id, or by a hash of their content when they carry none.
"""

import csv
import hashlib
import io
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import connection, transaction
from django.utils import timezone

from annotations.models import Project, Task

FORMATS = ("jsonl", "csv", "labelstudio")
CHUNK = 2000
PAYLOAD_KEYS = {
    Project.Kind.WRITE: ("prompt",),
    Project.Kind.CLASSIFY: ("text",),
    Project.Kind.COMPARE: ("prompt", "response_a", "response_b"),
}
META_KEYS = ("external_id", "references", "domain_tags", "difficulty", "model_uncertainty", "gold_answer", "batch")
# Keys of a Label Studio task other than "data" that we read or knowingly ignore.
LABEL_STUDIO_KEYS = {"id", "data", "meta", "annotations", "predictions", "created_at", "updated_at", "project"}
MAX_EXTERNAL_ID = 200


class RowInvalid(Exception):
    """One row cannot become a task; the message says why."""


@dataclass
class RowError:
    line: int
    reason: str

    def as_dict(self) -> dict:
        return {"line": self.line, "reason": self.reason}


@dataclass
class ImportReport:
    created: int = 0
    skipped: int = 0  # already present (same external id or same content)
    errors: list[RowError] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.skipped + len(self.errors)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "skipped": self.skipped,
            "errors": [e.as_dict() for e in self.errors],
        }


# --- Reading files into (line, row) pairs ---------------------------------------------


def format_guess(*, name: str) -> str:
    lower = name.lower()
    if lower.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith(".json"):
        return "labelstudio"
    raise RowInvalid(f"Cannot tell the format of {name!r}: name it .jsonl, .csv or .json, or give the format.")


def _jsonl_rows(text: IO[str]) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(text, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, RowInvalid(f"not valid JSON ({exc.msg} at column {exc.colno})")


def _json_array_rows(text: str) -> Iterator[tuple[int, Any]]:
    """The items of a JSON array, each with the line it starts on."""
    decoder = json.JSONDecoder()
    ws = " \t\r\n"
    pos = 0
    line = 1
    n = len(text)

    def skip(p: int) -> int:
        while p < n and text[p] in ws:
            p += 1
        return p

    def advance(to: int) -> None:
        nonlocal pos, line
        line += text.count("\n", pos, to)
        pos = to

    advance(skip(0))
    if pos >= n or text[pos] != "[":
        yield line, RowInvalid("a Label Studio file is a JSON list of tasks: it must start with '['")
        return
    advance(skip(pos + 1))
    if pos < n and text[pos] == "]":
        return
    while pos < n:
        try:
            item, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield line, RowInvalid(f"not valid JSON ({exc.msg}); the rest of the file was not read")
            return
        yield line, item
        advance(skip(end))
        if pos < n and text[pos] == ",":
            advance(skip(pos + 1))
        elif pos < n and text[pos] == "]":
            return
        else:
            yield line, RowInvalid("expected ',' or ']' after a task; the rest of the file was not read")
            return
    yield line, RowInvalid("the list is not closed with ']'")


def _csv_rows(text: IO[str], *, project: Project) -> Iterator[tuple[int, Any]]:
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return
    header = [h.strip() for h in header]
    known = set(PAYLOAD_KEYS[project.kind]) | set(META_KEYS)
    unknown = [h for h in header if h not in known]
    if unknown:
        yield (
            1,
            RowInvalid(
                f"unknown column(s) {', '.join(map(repr, unknown))}; "
                f"the columns are {', '.join(PAYLOAD_KEYS[project.kind] + META_KEYS)}; nothing was imported"
            ),
        )
        return
    start = reader.line_num + 1
    for values in reader:
        if values and any(v.strip() for v in values):
            if len(values) != len(header):
                yield start, RowInvalid(f"{len(values)} values for {len(header)} columns")
            else:
                row = {k: v for k, v in zip(header, values, strict=True) if v != ""}
                yield start, _csv_decode(row)
        start = reader.line_num + 1


def _csv_decode(row: dict) -> dict | RowInvalid:
    """CSV cells are text: JSON-valued columns are parsed, tags may be separated by ; or ,"""
    for key in ("references", "gold_answer"):
        value = row.get(key)
        if value is not None and value[:1] in '[{"' and value[:1] != "":
            try:
                row[key] = json.loads(value)
            except json.JSONDecodeError as exc:
                return RowInvalid(f"{key}: not valid JSON ({exc.msg})")
    tags = row.get("domain_tags")
    if tags is not None:
        if tags.startswith("["):
            try:
                row["domain_tags"] = json.loads(tags)
            except json.JSONDecodeError as exc:
                return RowInvalid(f"domain_tags: not valid JSON ({exc.msg})")
        else:
            sep = ";" if ";" in tags else ","
            row["domain_tags"] = [t.strip() for t in tags.split(sep) if t.strip()]
    return row


def rows_read(*, stream: IO, fmt: str, project: Project) -> Iterator[tuple[int, Any]]:
    """(line, row) pairs from a file; a row that could not be read is a RowInvalid."""
    if fmt not in FORMATS:
        raise RowInvalid(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="") if isinstance(stream.read(0), bytes) else stream
    if fmt == "jsonl":
        return _jsonl_rows(text)
    if fmt == "csv":
        return _csv_rows(text, project=project)
    return _json_array_rows(text.read())


# --- Checking one row -----------------------------------------------------------------


def _text(value: Any, *, name: str) -> str:
    if not isinstance(value, str):
        if value is None:
            raise RowInvalid(f"{name} is missing")
        raise RowInvalid(f"{name} must be text, not {type(value).__name__}")
    if not value.strip():
        raise RowInvalid(f"{name} is empty")
    return value


def _references(value: Any) -> list:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise RowInvalid("references must be a list of {id, title, body or url}")
    out = []
    for i, ref in enumerate(value, start=1):
        if not isinstance(ref, dict):
            raise RowInvalid(f"references[{i}] must be an object with title and body or url")
        title, body, url = ref.get("title"), ref.get("body"), ref.get("url")
        if not isinstance(title, str) or not title.strip():
            raise RowInvalid(f"references[{i}] has no title")
        if not (isinstance(body, str) and body) and not (isinstance(url, str) and url):
            raise RowInvalid(f"references[{i}] needs a body or a url")
        clean = {"id": str(ref.get("id") or f"r{i}"), "title": title}
        if isinstance(body, str) and body:
            clean["body"] = body
        if isinstance(url, str) and url:
            clean["url"] = url
        out.append(clean)
    if len({r["id"] for r in out}) != len(out):
        raise RowInvalid("references have repeated ids")
    return out


def _tags(value: Any) -> list:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() for t in value):
        raise RowInvalid("domain_tags must be a list of non-empty strings")
    return [t.strip() for t in value]


def _integer(value: Any, *, name: str, low: int, high: int | None, default: int) -> int:
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        raise RowInvalid(f"{name} must be a whole number")
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise RowInvalid(f"{name} must be a whole number, not {value!r}") from None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise RowInvalid(f"{name} must be a whole number")
    if value < low or (high is not None and value > high):
        bound = f"{low}-{high}" if high is not None else f">= {low}"
        raise RowInvalid(f"{name} must be {bound}, not {value}")
    return value


def _uncertainty(value: Any) -> float:
    if value in (None, ""):
        return 0.0
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        raise RowInvalid(f"model_uncertainty must be a number between 0 and 1, not {value!r}") from None
    if not 0.0 <= number <= 1.0:
        raise RowInvalid(f"model_uncertainty must be between 0 and 1, not {value!r}")
    return number


def _gold(value: Any, *, project: Project) -> Any:
    """A gold answer in the project's result shape; shorthand strings are expanded."""
    if value in (None, ""):
        return None
    if project.kind == Project.Kind.CLASSIFY:
        if isinstance(value, str):
            value = {"labels": [value]} if project.multi_label else {"label": value}
        elif isinstance(value, list):
            value = {"labels": value}
        if not isinstance(value, dict):
            raise RowInvalid("gold_answer must be a label, a list of labels or an object")
        given = value.get("labels") if "labels" in value else [value.get("label")]
        bad = [x for x in (given or [None]) if x not in project.labels]
        if bad:
            raise RowInvalid(f"gold_answer: unknown label(s) {', '.join(map(repr, bad))}")
    elif project.kind == Project.Kind.COMPARE:
        if isinstance(value, str):
            if value not in ("a", "b", "tie"):
                raise RowInvalid(f"gold_answer must be 'a', 'b' or 'tie', not {value!r}")
            value = {"overall": {"choice": value}}
        if not isinstance(value, dict):
            raise RowInvalid("gold_answer must be 'a', 'b', 'tie' or an object")
    elif isinstance(value, str):
        value = {"text": value}
    return value


def content_key(payload: dict) -> str:
    """The external id of a row that has none: a hash of its payload."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def task_row_clean(*, project: Project, row: Any) -> dict:
    """The task fields for one row, or RowInvalid naming what is wrong."""
    if isinstance(row, RowInvalid):
        raise row
    if not isinstance(row, dict):
        raise RowInvalid(f"a task must be a JSON object, not {type(row).__name__}")
    keys = PAYLOAD_KEYS[project.kind]
    nested = row.get("data") if "data" in row else row.get("payload")
    if nested is not None:
        # Label Studio {"data": {...}, "id": ...} or our {"payload": {...}, ...}: the object's
        # other fields are kept in the payload; task fields may sit inside it or beside it.
        if not isinstance(nested, dict):
            raise RowInvalid("data/payload must be an object")
        outer = set(row) - LABEL_STUDIO_KEYS - {"payload"} - set(META_KEYS)
        if outer:
            raise RowInvalid(f"unknown field(s) {', '.join(sorted(map(repr, outer)))}")
        meta = {k: nested[k] for k in META_KEYS if k in nested}
        meta.update({k: row[k] for k in META_KEYS if k in row})
        if "external_id" not in meta and row.get("id") not in (None, ""):
            meta["external_id"] = row["id"]
        payload = {k: v for k, v in nested.items() if k not in META_KEYS}
    else:
        unknown = set(row) - set(keys) - set(META_KEYS)
        if unknown:
            raise RowInvalid(
                f"unknown field(s) {', '.join(sorted(map(repr, unknown)))}; "
                f"a {project.kind} task has {', '.join(keys)} (extra payload goes in a 'payload' object)"
            )
        meta = row
        payload = {}
    for key in keys:
        payload[key] = _text(payload.get(key, row.get(key)), name=key)
    external_id = meta.get("external_id")
    if external_id in (None, ""):
        external_id = content_key(payload)
    else:
        if isinstance(external_id, bool) or not isinstance(external_id, str | int):
            raise RowInvalid("external_id must be text or a number")
        external_id = str(external_id).strip()
        if not external_id or len(external_id) > MAX_EXTERNAL_ID:
            raise RowInvalid(f"external_id must be 1-{MAX_EXTERNAL_ID} characters")
    return {
        "external_id": external_id,
        "payload": payload,
        "references": _references(meta.get("references")),
        "domain_tags": _tags(meta.get("domain_tags")),
        "difficulty": _integer(meta.get("difficulty"), name="difficulty", low=1, high=5, default=3),
        "model_uncertainty": _uncertainty(meta.get("model_uncertainty")),
        "gold_answer": _gold(meta.get("gold_answer"), project=project),
        "batch": _integer(meta.get("batch"), name="batch", low=0, high=None, default=0),
    }


# --- Writing ----------------------------------------------------------------------------

_COLUMNS = (
    "project",
    "external_id",
    "payload",
    "references",
    "domain_tags",
    "difficulty",
    "model_uncertainty",
    "gold_answer",
    "batch",
    "slots_taken",
    "is_full",
    "created_at",
)
_JSON_COLUMNS = {"payload", "references", "domain_tags", "gold_answer"}


def _insert_sql() -> str:
    """One parameterised INSERT for executemany: the ORM's per-row SQL compilation costs more
    than the database write itself at 100,000 rows."""
    json_cast = "::jsonb" if connection.vendor == "postgresql" else ""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(Task._meta.get_field(c).column) for c in _COLUMNS)
    values = ", ".join("%s" + (json_cast if c in _JSON_COLUMNS else "") for c in _COLUMNS)
    return f"INSERT INTO {quote(Task._meta.db_table)} ({columns}) VALUES ({values})"


def _copy_sql() -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(Task._meta.get_field(c).column) for c in _COLUMNS)
    return f"COPY {quote(Task._meta.db_table)} ({columns}) FROM STDIN"


def _existing_ids(*, project: Project, ids: list[str]) -> set[str]:
    if connection.vendor != "postgresql":
        return set(Task.objects.filter(project=project, external_id__in=ids).values_list("external_id", flat=True))
    # One array parameter instead of thousands of placeholders to bind.
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote('external_id')} FROM {quote(Task._meta.db_table)} "
            f"WHERE {quote('project_id')} = %s AND {quote('external_id')} = ANY(%s)",
            [project.pk, ids],
        )
        return {row[0] for row in cursor.fetchall()}


def _chunk_write(*, project: Project, chunk: list[tuple[int, dict]], seen: set, report: ImportReport) -> None:
    existing = _existing_ids(project=project, ids=[t["external_id"] for _, t in chunk])
    now = timezone.now()
    created_at = now if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(now)
    dumps = json.dumps
    params = []
    for _line, t in chunk:
        if t["external_id"] in existing or t["external_id"] in seen:
            report.skipped += 1
            continue
        seen.add(t["external_id"])
        gold = t["gold_answer"]
        params.append(
            (
                project.pk,
                t["external_id"],
                dumps(t["payload"]),
                dumps(t["references"]),
                dumps(t["domain_tags"]),
                t["difficulty"],
                t["model_uncertainty"],
                None if gold is None else dumps(gold),
                t["batch"],
                0,
                False,
                created_at,
            )
        )
    if params:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY streams the rows in one round trip (psycopg 3).
                with cursor.cursor.copy(_copy_sql()) as copy:
                    for row in params:
                        copy.write_row(row)
            else:
                cursor.executemany(_insert_sql(), params)
        report.created += len(params)


def tasks_import(*, project: Project, rows: Iterable[tuple[int, Any]], chunk_size: int = CHUNK) -> ImportReport:
    """Import (line, row) pairs into the project, chunk by chunk; returns the per-line report."""
    report = ImportReport()
    seen: set[str] = set()
    chunk: list[tuple[int, dict]] = []
    try:
        for line, row in rows:
            try:
                chunk.append((line, task_row_clean(project=project, row=row)))
            except RowInvalid as exc:
                report.errors.append(RowError(line=line, reason=str(exc)))
                continue
            if len(chunk) >= chunk_size:
                _chunk_write(project=project, chunk=chunk, seen=seen, report=report)
                chunk = []
    except UnicodeDecodeError as exc:
        report.errors.append(RowError(line=0, reason=f"the file is not UTF-8 text ({exc.reason}); reading stopped"))
    if chunk:
        _chunk_write(project=project, chunk=chunk, seen=seen, report=report)
    return report


def tasks_import_file(*, project: Project, stream: IO, fmt: str | None = None, name: str = "") -> ImportReport:
    """Import a JSONL, CSV or Label Studio JSON file (text or binary stream)."""
    try:
        fmt = fmt or format_guess(name=name)
        rows = rows_read(stream=stream, fmt=fmt, project=project)
    except RowInvalid as exc:
        return ImportReport(errors=[RowError(line=0, reason=str(exc))])
    return tasks_import(project=project, rows=rows)

"""Task import from JSONL, CSV and Label Studio task JSON.

Every row is checked on its own: a bad row is reported with its line number and the reason, the
good rows beside it are imported. Re-importing a file never duplicates a task: rows are keyed by
their external id, or by a hash of their content when they carry none.

Files are read as UTF-8; a UTF-16 file is recognised by its byte-order mark (or, without one, by
its zero bytes), and a line that is not UTF-8 is read as Windows-1252 (Latin-1) with a note in the
report naming the lines, so no valid row is lost to the file's encoding. Every value is checked by
`annotations.inputs` (nesting depth, 64-bit integers, non-finite numbers, unstorable text).
"""

import codecs
import csv
import hashlib
import io
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import connection, transaction
from django.utils import timezone

from annotations.inputs import MAX_INT, InputError, integer_check, json_loads, json_problem, web_url
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
MAX_BATCH = 2**31 - 1  # Task.batch is a PositiveIntegerField: PostgreSQL's integer column
MAX_VALUE_CHARS = 1_000_000  # one CSV cell or one payload text
MAX_REASON_CHARS = 300  # a reason quotes at most this much of what it refuses
MAX_NOTED_LINES = 10


class RowInvalid(Exception):
    """One row cannot become a task; the message says why."""


class CheckedRow(dict):
    """A row a reader has already passed through annotations.inputs (json_loads / json_problem),
    so task_row_clean does not walk it a second time."""


@dataclass
class RowError:
    line: int
    reason: str

    def __post_init__(self):
        if len(self.reason) > MAX_REASON_CHARS:
            self.reason = self.reason[: MAX_REASON_CHARS - 1] + "…"

    def as_dict(self) -> dict:
        return {"line": self.line, "reason": self.reason}


@dataclass
class ImportReport:
    created: int = 0  # with dry_run: how many would be created
    skipped: int = 0  # already present (same external id or same content)
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the file was read (an encoding fallback), not refusals
    dry_run: bool = False

    @property
    def rows(self) -> int:
        return self.created + self.skipped + len(self.errors)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "skipped": self.skipped,
            "errors": [e.as_dict() for e in self.errors],
            "notes": list(self.notes),
            "dry_run": self.dry_run,
        }


def _shown(value: Any) -> str:
    """A value as a reason quotes it: repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


# --- Decoding files into text lines ---------------------------------------------------

_UTF16_BOMS = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# Latin-1 text -> Windows-1252 text: bytes 0x80-0x9F are letters and signs there (its five
# undefined bytes stay as Latin-1 reads them).
_LATIN1_TO_CP1252 = {b: bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(0x80, 0xA0)}


def _utf16_guess(head: bytes) -> str | None:
    """UTF-16 without a byte-order mark: mostly-ASCII text has a zero in every other byte."""
    pairs = len(head) // 2
    if not pairs:
        return None
    zero_even = sum(1 for i in range(0, pairs * 2, 2) if head[i] == 0)
    zero_odd = sum(1 for i in range(1, pairs * 2, 2) if head[i] == 0)
    if zero_odd >= 0.3 * pairs and zero_even <= 0.1 * zero_odd:
        guess = "utf-16-le"
    elif zero_even >= 0.3 * pairs and zero_odd <= 0.1 * zero_even:
        guess = "utf-16-be"
    else:
        return None
    # UTF-8 text with NUL bytes can look alike: take the guess only if it reads as JSON or CSV would.
    text = head[: pairs * 2].decode(guess, errors="replace")
    return guess if text.count("\x00") <= 0.1 * len(text) and any(c in text for c in "\n{[,") else None


_NEWLINE = re.compile(r"(\r\n|\r|\n)")


def _split_lines(chunks: Iterable[str]) -> Iterator[str]:
    """Lines with their endings kept, split on LF, CRLF or CR alone (old Mac spreadsheets), as a
    text file opened with newline="" gives them to csv; never on the other characters
    str.splitlines() takes (U+2028, form feed...), which may sit inside a value."""
    pending: list[str] = []
    for chunk in chunks:
        if "\n" not in chunk and "\r" not in chunk:
            pending.append(chunk)
            continue
        parts = _NEWLINE.split("".join(pending) + chunk)
        rest = parts.pop()
        if not rest and parts[-1] == "\r":  # a CR that ends the chunk may be half of a CRLF
            rest = parts.pop(-2) + parts.pop()
        for i in range(0, len(parts), 2):
            yield parts[i] + parts[i + 1]
        pending = [rest] if rest else []
    if pending:
        yield "".join(pending)


def _utf16_lines(stream: IO[bytes], *, encoding: str, notes: list[str]) -> Iterator[str]:
    # surrogatepass keeps a lone surrogate as a character, so its row is refused by line.
    decoder = codecs.getincrementaldecoder(encoding)(errors="surrogatepass")

    def chunks() -> Iterator[str]:
        while block := stream.read(1 << 16):
            yield decoder.decode(block)
        try:
            yield decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            notes.append("The file ends in the middle of a UTF-16 character; that last byte was left out.")

    return _split_lines(chunks())


def _byte_lines(stream: IO[bytes]) -> Iterator[bytes]:
    """Lines of bytes with their endings, split on LF, CRLF or CR alone (bytes.splitlines takes
    exactly those three)."""
    for raw in stream:
        if raw.count(b"\r") > raw.endswith(b"\r\n"):  # a CR other than the one of a final CRLF
            yield from raw.splitlines(keepends=True)
        else:
            yield raw


def _utf8_lines(stream: IO[bytes], *, notes: list[str]) -> Iterator[str]:
    fallback: list[int] = []
    for number, raw in enumerate(_byte_lines(stream), start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            fallback.append(number)
            yield raw.decode("latin-1").translate(_LATIN1_TO_CP1252)
    if fallback:
        shown = ", ".join(map(str, fallback[:MAX_NOTED_LINES]))
        more = f" and {len(fallback) - MAX_NOTED_LINES} more" if len(fallback) > MAX_NOTED_LINES else ""
        notes.append(
            f"The file is not UTF-8 text: line{'s' if len(fallback) > 1 else ''} {shown}{more} "
            f"{'were' if len(fallback) > 1 else 'was'} read as Windows-1252 (Latin-1); "
            "check the accented letters of those rows, or save the file as UTF-8."
        )


def text_lines(stream: IO, *, notes: list[str]) -> Iterator[str]:
    """The lines of a text or binary stream, decoded as the module docstring says; never raises
    UnicodeDecodeError. How the file was read, when it was not plain UTF-8, is added to notes."""
    if isinstance(stream.read(0), str):
        return _split_lines(iter(lambda: stream.read(1 << 16), ""))
    if not stream.seekable():
        stream = io.BytesIO(stream.read())
    start = stream.tell()
    head = stream.read(4096)
    stream.seek(start)
    for bom, encoding in _UTF16_BOMS:
        if head.startswith(bom):
            stream.read(len(bom))
            notes.append(f"Read as {encoding.upper()[:6]} (the file starts with its byte-order mark).")
            return _utf16_lines(stream, encoding=encoding, notes=notes)
    if not head.startswith(codecs.BOM_UTF8):
        encoding = _utf16_guess(head)
        if encoding:
            notes.append(f"Read as {encoding.upper()}: the file has no byte-order mark but the zero bytes of UTF-16.")
            return _utf16_lines(stream, encoding=encoding, notes=notes)
    return _utf8_lines(stream, notes=notes)


# --- Reading text into (line, row) pairs ----------------------------------------------


def format_guess(*, name: str) -> str:
    lower = name.lower()
    if lower.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith(".json"):
        return "labelstudio"
    raise RowInvalid(f"Cannot tell the format of {name!r}: name it .jsonl, .csv or .json, or give the format.")


def _checked(value: Any) -> Any:
    return CheckedRow(value) if type(value) is dict else value


def _json_row(text: str) -> Any:
    """One decoded and checked JSON value, or the RowInvalid that says why not."""
    try:
        return _checked(json_loads(text))
    except InputError as exc:
        return RowInvalid(str(exc))


def _jsonl_rows(lines: Iterable[str]) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(lines, start=1):
        if number == 1:
            line = line.removeprefix("\ufeff")
        if line.strip():
            yield number, _json_row(line)


class _ConstantRefused(ValueError):
    pass


def _constant_refused(name: str):
    raise _ConstantRefused(name)


_ARRAY_DECODER = json.JSONDecoder(parse_constant=_constant_refused)
# A string, or a bracket: enough to find where one JSON value ends without decoding it.
_VALUE_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.S)
_SCALAR_END = re.compile(r"[,\]\s]")


def _value_end(text: str, pos: int) -> int | None:
    """Where the JSON value starting at pos ends, found without decoding (no recursion), or None."""
    if text[pos] == '"':
        match = _VALUE_TOKEN.match(text, pos)
        return match.end() if match else None
    if text[pos] not in "[{":
        match = _SCALAR_END.search(text, pos)
        return match.start() if match else len(text)
    stack = []
    for match in _VALUE_TOKEN.finditer(text, pos):
        token = match.group()
        if token in "[{":
            stack.append("]" if token == "[" else "}")
        elif token in "]}":
            if stack.pop() != token:
                return None  # mismatched brackets: this is not the end of one value
            if not stack:
                return match.end()
    return None


_ITEM_GAP = re.compile(r",\s*")
MAX_RESYNC_TRIES = 200


def _item_end(text: str, pos: int, *, after: int) -> int | None:
    """Where a bad item starting at pos ends: the end of its brackets when they balance and a ',' or
    ']' follows; else the ',' before the next item that decodes; else the list's closing ']'."""
    end = _value_end(text, pos)
    if end is not None:
        rest = text[end:].lstrip(" \t\r\n")
        if rest[:1] in (",", "]"):
            return end
    for tries, gap in enumerate(_ITEM_GAP.finditer(text, max(after, pos + 1))):
        if tries >= MAX_RESYNC_TRIES:
            break
        try:
            _, next_end = _ARRAY_DECODER.raw_decode(text, gap.end())
        except json.JSONDecodeError:
            continue
        except (ValueError, RecursionError):  # a value, if a hostile one: the next item starts here
            return gap.start()
        if text[next_end:].lstrip(" \t\r\n")[:1] in (",", "]"):
            return gap.start()
    last = text.rstrip(" \t\r\n")
    return len(last) - 1 if last.endswith("]") and len(last) - 1 > pos else None


def _json_array_rows(text: str, *, positions: bool = False) -> Iterator[tuple[int, Any]]:
    """The items of a JSON array, each with the line it starts on (or, with positions, its 1-based
    place in the list); a bad item is refused on its own and the items after it are still read."""
    ws = " \t\r\n"
    pos = 0
    line = 1
    n = len(text)
    place = 0

    def skip(p: int) -> int:
        while p < n and text[p] in ws:
            p += 1
        return p

    def advance(to: int) -> None:
        nonlocal pos, line
        line += text.count("\n", pos, to)
        pos = to

    advance(skip(1 if text.startswith("\ufeff") else 0))
    if pos >= n or text[pos] != "[":
        if positions:
            raise RowInvalid('Send a JSON list of tasks, e.g. [{"prompt": "..."}].')
        yield line, RowInvalid("a Label Studio file is a JSON list of tasks: it must start with '['")
        return
    advance(skip(pos + 1))
    if pos < n and text[pos] == "]":
        return
    while pos < n:
        place += 1
        where = place if positions else line
        try:
            item, end = _ARRAY_DECODER.raw_decode(text, pos)
        except (ValueError, RecursionError) as exc:  # bad syntax, NaN, a 5,000-digit integer, too deep
            end = _item_end(text, pos, after=getattr(exc, "pos", pos))
            if end is None:
                yield where, RowInvalid("not valid JSON, and its end cannot be found; the rest was not read")
                return
            item = _json_row(text[pos:end])
        else:
            problem = json_problem(item)
            item = RowInvalid(problem) if problem else _checked(item)
        advance(skip(end))
        if pos < n and text[pos] in ",]":
            yield where, item
            if text[pos] == "]":
                return
            advance(skip(pos + 1))
            continue
        # Something other than ',' or ']' follows the item (or nothing does): reading stops here.
        reason = "expected ',' or ']' after a task; the rest was not read" if pos < n else "the list is not closed"
        if isinstance(item, RowInvalid):
            yield where, RowInvalid(f"{item}; {reason}")
        else:
            yield where, item
            yield (place + 1 if positions else line), RowInvalid(reason)
        return
    yield (place + 1 if positions else line), RowInvalid("the list is not closed with ']'")


def json_list_items(raw: bytes | str) -> list[tuple[int, Any]]:
    """A JSON list of tasks (an API body) as (1-based position, item) pairs, each item decoded and
    checked on its own, so one bad item is refused by position and the others are imported.
    RowInvalid when the body is not UTF-8 or not a list."""
    if isinstance(raw, bytes | bytearray):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RowInvalid(f"The body is not UTF-8 text (byte {exc.start + 1}).") from None
    return list(_json_array_rows(raw, positions=True))


def _csv_rows(lines: Iterable[str], *, project: Project) -> Iterator[tuple[int, Any]]:
    # The default limit (131,072) raises csv.Error mid-record, which cannot be resumed cleanly;
    # the limit that matters is checked per cell below, so the record is read whole and refused.
    if csv.field_size_limit() < 16 * MAX_VALUE_CHARS:
        csv.field_size_limit(16 * MAX_VALUE_CHARS)
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield 1, RowInvalid(f"the header is not valid CSV ({exc}); nothing was imported")
        return
    header = [h.strip().removeprefix("\ufeff") for h in header]
    known = set(PAYLOAD_KEYS[project.kind]) | set(META_KEYS)
    unknown = [h for h in header if h not in known]
    if unknown:
        yield (
            1,
            RowInvalid(
                f"unknown column(s) {', '.join(map(_shown, unknown))}; "
                f"the columns are {', '.join(PAYLOAD_KEYS[project.kind] + META_KEYS)}; nothing was imported"
            ),
        )
        return
    if len(set(header)) != len(header):
        yield 1, RowInvalid("a column is named twice in the header; nothing was imported")
        return
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, RowInvalid(f"not valid CSV ({exc})")
            continue
        if not values or not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            yield start, RowInvalid(f"{len(values)} values for {len(header)} columns")
            continue
        long = next((k for k, v in zip(header, values, strict=True) if len(v) > MAX_VALUE_CHARS), None)
        if long is not None:
            yield start, RowInvalid(f"{long} is longer than {MAX_VALUE_CHARS:,} characters")
            continue
        row = {k: v for k, v in zip(header, values, strict=True) if v != ""}
        yield start, _csv_decode(row)


def _csv_decode(row: dict) -> dict | RowInvalid:
    """CSV cells are text: JSON-valued columns are parsed, tags may be separated by ; or ,"""
    for key in ("references", "gold_answer"):
        value = row.get(key)
        if value is not None and value[:1] in ("[", "{", '"'):
            try:
                row[key] = json_loads(value)
            except InputError as exc:
                return RowInvalid(f"{key}: {exc}")
    tags = row.get("domain_tags")
    if tags is not None:
        if tags.startswith("["):
            try:
                row["domain_tags"] = json_loads(tags)
            except InputError as exc:
                return RowInvalid(f"domain_tags: {exc}")
        else:
            sep = ";" if ";" in tags else ","
            row["domain_tags"] = [t.strip() for t in tags.split(sep) if t.strip()]
    return row


def rows_read(*, stream: IO, fmt: str, project: Project, notes: list[str] | None = None) -> Iterator[tuple[int, Any]]:
    """(line, row) pairs from a text or binary file; a row that could not be read is a RowInvalid.
    How the file was decoded, when it was not plain UTF-8, is appended to notes."""
    if fmt not in FORMATS:
        raise RowInvalid(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")
    lines = text_lines(stream, notes=notes if notes is not None else [])
    if fmt == "jsonl":
        return _jsonl_rows(lines)
    if fmt == "csv":
        return _csv_rows(lines, project=project)
    return _json_array_rows("".join(lines))


# --- Checking one row -----------------------------------------------------------------


def _text(value: Any, *, name: str) -> str:
    if not isinstance(value, str):
        if value is None:
            raise RowInvalid(f"{name} is missing")
        raise RowInvalid(f"{name} must be text, not {type(value).__name__}")
    if not value.strip():
        raise RowInvalid(f"{name} is empty")
    if len(value) > MAX_VALUE_CHARS:
        raise RowInvalid(f"{name} is {len(value):,} characters; the limit is {MAX_VALUE_CHARS:,}")
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
            link = web_url(url)
            if not link:
                raise RowInvalid(f"references[{i}].url must be an http:// or https:// address, not {_shown(url)}")
            clean["url"] = link
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


_WHOLE = re.compile(r"[+-]?[0-9]+")


def _integer(value: Any, *, name: str, low: int, high: int | None, default: int) -> int:
    if value in (None, ""):
        return default
    if isinstance(value, str):
        try:  # ASCII digits only: int() also takes '²'-like and 5,000-digit text
            value = integer_check(value, field=name, minimum=-MAX_INT - 1)
        except InputError:
            if _WHOLE.fullmatch(value.strip()):
                bound = f"{low}-{high}" if high is not None else f">= {low}"
                raise RowInvalid(f"{name} must be {bound}, not {_shown(value.strip())}") from None
            raise RowInvalid(f"{name} must be a whole number, not {_shown(value)}") from None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
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
        raise RowInvalid(f"model_uncertainty must be a number between 0 and 1, not {_shown(value)}") from None
    if not 0.0 <= number <= 1.0:
        raise RowInvalid(f"model_uncertainty must be between 0 and 1, not {_shown(value)}")
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
        if not isinstance(given, list):
            raise RowInvalid("gold_answer: labels must be a list of labels")
        bad = [x for x in (given or [None]) if not isinstance(x, str) or x not in project.labels]
        if bad:
            raise RowInvalid(f"gold_answer: unknown label(s) {', '.join(map(_shown, bad))}")
    elif project.kind == Project.Kind.COMPARE:
        if isinstance(value, str):
            if value not in ("a", "b", "tie"):
                raise RowInvalid(f"gold_answer must be 'a', 'b' or 'tie', not {value!r}")
            value = {"overall": {"choice": value}}
        if not isinstance(value, dict):
            raise RowInvalid("gold_answer must be 'a', 'b', 'tie' or an object")
    elif isinstance(value, str):
        value = {"text": value}
    elif not isinstance(value, dict):
        raise RowInvalid("gold_answer must be text or an object")
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
    problem = None if isinstance(row, CheckedRow) else json_problem(row)  # text, numbers, depth: any field
    if problem:
        raise RowInvalid(problem)
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
        "batch": _integer(meta.get("batch"), name="batch", low=0, high=MAX_BATCH, default=0),
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
    """Insert the chunk's new tasks; with report.dry_run only count what would be created."""
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
    if params and not report.dry_run:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY streams the rows in one round trip (psycopg 3).
                with cursor.cursor.copy(_copy_sql()) as copy:
                    for row in params:
                        copy.write_row(row)
            else:
                cursor.executemany(_insert_sql(), params)
    report.created += len(params)


def tasks_import(
    *,
    project: Project,
    rows: Iterable[tuple[int, Any]],
    chunk_size: int = CHUNK,
    dry_run: bool = False,
    report: ImportReport | None = None,
) -> ImportReport:
    """Import (line, row) pairs into the project, chunk by chunk; returns the per-line report.
    With dry_run every row is checked and counted, and nothing is written."""
    report = report or ImportReport()
    report.dry_run = dry_run
    seen: set[str] = set()
    chunk: list[tuple[int, dict]] = []
    for line, row in rows:
        try:
            chunk.append((line, task_row_clean(project=project, row=row)))
        except RowInvalid as exc:
            report.errors.append(RowError(line=line, reason=str(exc)))
            continue
        if len(chunk) >= chunk_size:
            _chunk_write(project=project, chunk=chunk, seen=seen, report=report)
            chunk = []
    if chunk:
        _chunk_write(project=project, chunk=chunk, seen=seen, report=report)
    return report


def tasks_import_file(
    *, project: Project, stream: IO, fmt: str | None = None, name: str = "", dry_run: bool = False
) -> ImportReport:
    """Import a JSONL, CSV or Label Studio JSON file (text or binary stream, any size)."""
    report = ImportReport(dry_run=dry_run)
    try:
        fmt = fmt or format_guess(name=name)
        rows = rows_read(stream=stream, fmt=fmt, project=project, notes=report.notes)
    except RowInvalid as exc:
        report.errors.append(RowError(line=0, reason=str(exc)))
        return report
    return tasks_import(project=project, rows=rows, dry_run=dry_run, report=report)

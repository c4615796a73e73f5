"""Telemetry ingest: frame parsing, event validation, and the one-transaction-per-frame write.

The websocket consumer and the HTTP fallback both go through `frame_parse` and `events_ingest`,
so they answer the same frames the same way (docs/telemetry-events.md).
"""

import asyncio
import hashlib
import json
import math
import weakref
from dataclasses import dataclass, field
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from annotations.inputs import json_problem, text_problem
from telemetry import refresh
from telemetry.models import EditorSession, Event, QuarantinedEvent

MAX_SEQ = 2_147_483_647  # fits every backend's integer column
MAX_REV_TEXT = 50_000
MAX_SHORT_TEXT = 200  # field names, reference ids, inputType
# Sane ranges for the numbers of an event: signals sum and divide them, and 1e308 overflows there.
MAX_T_MS = 7 * 24 * 3600 * 1000  # a week of one page load
MAX_CHARS = 10_000_000  # lengths, caret positions and length deltas of one field, in characters
MAX_REF_ID = 2**53 - 1  # integer reference ids: exact in every JSON reader

KEY_CLASSES = frozenset(
    {"letter", "digit", "punct", "space", "enter", "backspace", "delete", "nav", "modifier", "other"}
)
SOURCES = frozenset({"self", "task", "reference", "external"})
# Fields that would carry the characters typed: refused on key events whatever else they hold.
CHARACTER_FIELDS = ("key", "char", "code")

_NO_VALUE = object()


class FrameError(Exception):
    """A frame refused as a whole (nothing stored): code is bad_json, bad_frame or too_large."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail

    def as_message(self) -> dict:
        return {"type": "error", "code": self.code, "detail": self.detail}


@dataclass
class Quarantined:
    seq: int | None
    raw: str
    reason: str


@dataclass
class IngestResult:
    upto: int
    stored: int = 0
    quarantined: list[Quarantined] = field(default_factory=list)
    was_closed: bool = False

    def messages(self) -> list[dict]:
        """The frames answering this batch: a bad_events error (if any) then the ack."""
        out = []
        if self.quarantined:
            out.append(bad_events_message(self.quarantined))
        out.append({"type": "ack", "upto": self.upto})
        return out


def bad_events_message(quarantined: list[Quarantined]) -> dict:
    seqs = [q.seq for q in quarantined if q.seq is not None]
    details = [f"seq {q.seq}: {q.reason}" if q.seq is not None else q.reason for q in quarantined[:20]]
    if len(quarantined) > 20:
        details.append(f"and {len(quarantined) - 20} more")
    return {"type": "error", "code": "bad_events", "seqs": seqs, "detail": "; ".join(details)}


# --- Frames ------------------------------------------------------------------------------


def frame_parse(text: str | bytes | None) -> list:
    """The events list of a client frame, or FrameError (too_large, bad_json, bad_frame)."""
    if text is None:
        raise FrameError("bad_frame", 'frames are JSON text: {"type": "events", "events": [...]}')
    max_bytes = settings.TELEMETRY_MAX_FRAME_BYTES
    if isinstance(text, bytes | bytearray):
        size = len(text)
    else:
        size = len(text) if len(text) * 4 <= max_bytes else len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise FrameError("too_large", f"frame is {size} bytes; the limit is {max_bytes} bytes")
    try:
        frame = json.loads(text)
    except RecursionError:
        raise FrameError("bad_frame", "frame is nested too deeply (an event is one flat JSON object)") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise FrameError("bad_json", f"frame is not valid JSON: {exc}") from None
    if not isinstance(frame, dict):
        raise FrameError("bad_frame", f"frame must be a JSON object, got {type(frame).__name__}")
    if frame.get("type") != "events":
        raise FrameError("bad_frame", f'unknown frame type {frame.get("type")!r}; expected "events"')
    events = frame.get("events")
    if not isinstance(events, list):
        raise FrameError("bad_frame", '"events" must be a list of event objects')
    max_events = settings.TELEMETRY_MAX_EVENTS_PER_FRAME
    if len(events) > max_events:
        raise FrameError("too_large", f"frame holds {len(events)} events; the limit is {max_events}")
    return events


# --- Events ------------------------------------------------------------------------------


def _is_int(v) -> bool:
    return type(v) is int  # bool is not an int here


def _is_number(v) -> bool:
    return (type(v) is int or type(v) is float) and math.isfinite(v)


def _short_str(v) -> bool:
    return isinstance(v, str) and len(v) <= MAX_SHORT_TEXT


def _count(v) -> bool:
    return type(v) is int and 0 <= v <= MAX_CHARS


def _shown(v) -> str:
    """A short rendering of a refused value for the reason (never fails, whatever its depth)."""
    if isinstance(v, dict | list):
        return f"a JSON {'object' if isinstance(v, dict) else 'array'} of {len(v)} items"
    try:
        return json.dumps(v)[:40]
    except (ValueError, RecursionError, OverflowError):
        return type(v).__name__


def _enum(values):
    return lambda v: v in values if isinstance(v, str) else False


_NONNEG_INT = (_count, f"an integer from 0 to {MAX_CHARS}")
_INT = (lambda v: _is_int(v) and -MAX_CHARS <= v <= MAX_CHARS, f"an integer from -{MAX_CHARS} to {MAX_CHARS}")
_BOOL = (lambda v: type(v) is bool, "true or false")
_FIELD = (_short_str, f"an editor name (string of at most {MAX_SHORT_TEXT} characters)")
_REF = (
    lambda v: _short_str(v) or (_is_int(v) and 0 <= v <= MAX_REF_ID),
    f"a reference id (text of at most {MAX_SHORT_TEXT} characters, or an integer from 0 to {MAX_REF_ID})",
)

# kind -> {field: (check, description, required)}; "trusted" is optional everywhere.
_CLIP = {
    "len": (*_NONNEG_INT, True),
    "src": (_enum(SOURCES), "one of " + "|".join(sorted(SOURCES)), True),
    "h": (
        lambda v: isinstance(v, str) and 1 <= len(v) <= 64 and all(c in "0123456789abcdef" for c in v),
        "a lowercase hex hash",
        True,
    ),
    "field": (*_FIELD, False),
}
KINDS: dict[str, dict[str, tuple]] = {
    "key": {
        "cls": (_enum(KEY_CLASSES), "one of " + "|".join(sorted(KEY_CLASSES)), True),
        "rep": (*_BOOL, False),
        "field": (*_FIELD, False),
    },
    "input": {
        "it": (lambda v: _short_str(v) and v != "", "an InputEvent.inputType string", True),
        "pos": (*_NONNEG_INT, True),
        "d": (*_INT, True),
        "len": (*_NONNEG_INT, True),
        "field": (*_FIELD, False),
    },
    "paste": _CLIP,
    "cut": _CLIP,
    "copy": _CLIP,
    "comp": {
        "phase": (_enum({"start", "end"}), "start|end", True),
        "len": (*_NONNEG_INT, False),
        "field": (*_FIELD, False),
    },
    "focus": {"field": (*_FIELD, False)},
    "blur": {"field": (*_FIELD, False)},
    "vis": {"state": (_enum({"hidden", "visible"}), "hidden|visible", True)},
    "nav": {"ref": (*_REF, True), "action": (_enum({"open", "close"}), "open|close", True)},
    "scroll": {
        "ref": (*_REF, True),
        "frac": (lambda v: _is_number(v) and 0 <= v <= 1, "a number from 0 to 1", True),
    },
    "rev": {
        "field": (*_FIELD, True),
        "text": (
            lambda v: isinstance(v, str) and len(v) <= MAX_REV_TEXT,
            f"a string of at most {MAX_REV_TEXT} characters",
            True,
        ),
        "why": (_enum({"pause", "blur", "submit"}), "pause|blur|submit", True),
    },
}
_COMMON = frozenset({"seq", "t", "k", "trusted"})
_ALLOWED = {kind: _COMMON | spec.keys() for kind, spec in KINDS.items()}
_CHECKS = {kind: tuple((name, *check) for name, check in spec.items()) for kind, spec in KINDS.items()}


def event_problem(ev) -> str | None:
    """Why this event is refused, or None when it is valid (docs/telemetry-events.md)."""
    if type(ev) is not dict:
        return f"an event must be a JSON object, got {type(ev).__name__}"
    seq = ev.get("seq")
    if type(seq) is not int or not 1 <= seq <= MAX_SEQ:
        return f"seq must be a positive integer up to {MAX_SEQ}, got {_shown(seq)}"
    t = ev.get("t")
    if not ((type(t) is float or type(t) is int) and 0 <= t <= MAX_T_MS):  # NaN fails the comparison
        return f"t must be a non-negative number of ms, at most {MAX_T_MS} (7 days), got {_shown(t)}"
    kind = ev.get("k")
    allowed = _ALLOWED.get(kind) if type(kind) is str else None
    if allowed is None:
        return f"unknown kind {_shown(kind)}"
    if not ev.keys() <= allowed:
        if kind == "key":
            for name in CHARACTER_FIELDS:
                if name in ev:
                    return f"key events must not carry the character typed (field {name!r} refused)"
        return f"unexpected field {_shown(sorted(ev.keys() - allowed)[0])} on a {kind} event"
    if "trusted" in ev and type(ev["trusted"]) is not bool:
        return "field 'trusted' must be true or false"
    for name, ok, what, required in _CHECKS[kind]:
        v = ev.get(name, _NO_VALUE)
        if v is _NO_VALUE:
            if required:
                return f"missing field {name!r} ({what})"
        elif not ok(v):
            return f"field {name!r} must be {what}, got {_shown(v)}"
        elif type(v) is str and (not v.isascii() or "\x00" in v):  # isascii is a flag read: ASCII has no surrogate
            problem = text_problem(v)
            if problem is not None:  # a lone surrogate or NUL: no database stores it, no page shows it
                return f"field {name!r} {problem}"
    return None


def _raw(ev) -> str:
    """The refused event as it came, for the quarantine (ASCII JSON: lone surrogates escaped)."""
    try:
        return json.dumps(ev)
    except (ValueError, RecursionError, OverflowError):
        problem = json_problem(ev) or "it cannot be written back as JSON"
        return json.dumps({"unreadable": problem})


def events_validate(events: list) -> tuple[list[tuple[int, float, str, dict]], list[Quarantined]]:
    """Split a frame's events: valid rows (seq, t, kind, data) and the refused ones with reasons.

    A seq repeated inside one frame keeps its first occurrence (the others are duplicates, ignored
    like any duplicate).
    """
    rows: list[tuple[int, float, str, dict]] = []
    bad: list[Quarantined] = []
    seen: set[int] = set()
    for ev in events:
        problem = event_problem(ev)
        if problem is not None:
            seq = ev.get("seq") if type(ev) is dict else None
            seq = seq if type(seq) is int and abs(seq) <= MAX_SEQ else None
            bad.append(Quarantined(seq=seq, raw=_raw(ev), reason=problem))
            continue
        data = dict(ev)
        seq = data.pop("seq")
        if seq in seen:
            continue
        seen.add(seq)
        rows.append((seq, float(data.pop("t")), data.pop("k"), data))
    return rows, bad


# --- Sessions ----------------------------------------------------------------------------


def in_flight_allowance() -> int:
    """How many seqs past the highest one received a submit's final seq may name: the frames a
    page can still hold unacknowledged when it submits."""
    return settings.TELEMETRY_IN_FLIGHT_EVENTS


def late_events_wait_s() -> float:
    """How long a closed session waits for the events its final seq says are still coming."""
    return settings.TELEMETRY_LATE_EVENTS_WAIT_S


def final_seq_bound(*, session: EditorSession, final_seq) -> int | None:
    """The final seq to record for a closing session: None unless a positive integer, and never
    past the highest seq the session received plus what can still be in flight (a client cannot
    keep a session, and its signal refreshes, open by naming seq 2**31 or 2**63)."""
    if type(final_seq) is not int or final_seq < 1:
        return None
    received = [
        EditorSession.objects.filter(pk=session.pk).values_list("contiguous_upto", flat=True).first() or 0,
        Event.objects.filter(session=session).aggregate(m=Max("seq"))["m"] or 0,
        QuarantinedEvent.objects.filter(session=session).aggregate(m=Max("seq"))["m"] or 0,
    ]
    return min(final_seq, max(received) + in_flight_allowance(), MAX_SEQ)


def session_accepts_events(session: EditorSession) -> bool:
    """Open sessions take events; a closed one only while events up to its final seq are missing
    (the page was submitted before its last frames were acknowledged), for a bounded wait."""
    if session.closed_at is None:
        return True
    if session.final_seq is None or session.contiguous_upto >= session.final_seq:
        return False
    return timezone.now() - session.closed_at < timedelta(seconds=late_events_wait_s())


# --- The write ---------------------------------------------------------------------------


# Rows per INSERT statement and sessions per lookup statement: well inside SQLite's limits on
# bound parameters (32766) and expression depth (1000).
_INSERT_CHUNK = 1000
_SESSION_CHUNK = 100
# The walk reads at most this many seqs above a session's point per lookup (then continues alone).
_WALK_WINDOW = 2000


class _Sql:
    """The statements of the write, for the connection's backend (quoted names, built once)."""

    def __init__(self):
        qn = connection.ops.quote_name
        ev, se, qe = (qn(m._meta.db_table) for m in (Event, EditorSession, QuarantinedEvent))
        self.row = "(%s, %s, %s, %s, %s, %s)"  # SQLite: the data column holds JSON text
        self.event_columns = (
            f"INSERT INTO {ev} ({qn('session_id')}, {qn('seq')}, {qn('t')}, {qn('kind')}, {qn('data')},"
            f" {qn('received_at')}) VALUES "
        )
        self.on_conflict = f" ON CONFLICT ({qn('session_id')}, {qn('seq')}) DO NOTHING"
        # PostgreSQL: the rows travel as one JSON document ([[session, seq, t, kind, data], ...])
        # unpacked by the server: one parameter whatever the frame, no per-row binding or quoting.
        self.from_json = (
            self.event_columns.replace(" VALUES ", " ")
            + "SELECT (e->>0)::uuid, (e->>1)::integer, (e->>2)::float8, e->>3, (e->4)::jsonb, %s"
            " FROM json_array_elements(%s::json) AS e" + self.on_conflict
        )
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        self.sessions_head = (
            f"SELECT {qn('id')}, {qn('contiguous_upto')}, {qn('closed_at')} FROM {se} WHERE {qn('id')} IN "
        )
        self.sessions_tail = f" ORDER BY {qn('id')}{lock}"
        self.window = f"({qn('session_id')} = %s AND {qn('seq')} > %s AND {qn('seq')} <= %s)"
        self.walk_event = f"SELECT {qn('session_id')}, {qn('seq')} FROM {ev} WHERE "
        self.walk_quarantine = f" UNION SELECT {qn('session_id')}, {qn('seq')} FROM {qe} WHERE "
        self.advance = (
            f"UPDATE {se} SET {qn('contiguous_upto')} = %s WHERE {qn('id')} = %s AND {qn('contiguous_upto')} < %s"
        )

    def insert_rows(self, cursor, rows: list[tuple], received_at) -> None:
        """Rows (session key, seq, t, kind, data dict), one statement per chunk (SQLite: one
        prepared statement run for every row)."""
        dumps = _compact_json.encode
        for chunk in _chunks(rows, _INSERT_CHUNK):
            if connection.vendor == "postgresql":
                document = dumps([(str(key), seq, t, kind, data) for key, seq, t, kind, data in chunk])
                cursor.execute(self.from_json, [received_at, document])
            else:
                cursor.executemany(
                    self.event_columns + self.row + self.on_conflict,
                    [(key, seq, t, kind, dumps(data), received_at) for key, seq, t, kind, data in chunk],
                )

    def sessions(self, n: int) -> str:
        return self.sessions_head + "(" + ",".join(["%s"] * n) + ")" + self.sessions_tail

    def walk(self, n: int) -> str:
        where = " OR ".join([self.window] * n)
        return self.walk_event + where + self.walk_quarantine + where


_SQL: dict[str, _Sql] = {}
_compact_json = json.JSONEncoder(separators=(",", ":"))


def _sql() -> _Sql:
    if connection.vendor not in _SQL:
        _SQL[connection.vendor] = _Sql()
    return _SQL[connection.vendor]


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def events_ingest(*, session: EditorSession, events: list) -> IngestResult:
    """Store a frame's events in one transaction: valid ones in the event table (duplicates of
    session+seq ignored), invalid ones in quarantine with the reason; then advance the session's
    contiguous point. A constant number of queries per frame, whatever its size.
    Raises EditorSession.DoesNotExist when the session was deleted."""
    (result,) = frames_ingest(frames=[(session, events)])
    if isinstance(result, Exception):
        raise result
    return result


def frames_ingest(*, frames: list[tuple[EditorSession, list]]) -> list[IngestResult | Exception]:
    """Several frames (from any sessions, in arrival order) in ONE transaction, none acknowledged
    before the commit. The statements do not grow with the frames: one lookup (and lock) of the
    sessions, one multi-row insert, one walk of the stored seqs above each session's point, one
    batch of point updates (each chunked only past hundreds of sessions or a thousand rows).
    The answer for each frame is its IngestResult, or the exception that refused it alone."""
    prepared = [(session, *events_validate(events)) for session, events in frames]
    sql = _sql()
    prep_pk = EditorSession._meta.pk.get_db_prep_value
    keys = [prep_pk(session.pk, connection) for session, _, _ in prepared]
    with transaction.atomic(), connection.cursor() as cursor:
        state: dict = {}  # session key -> [point before, closed_at]
        # Sorted, so that concurrent writers (several daphne processes) lock rows in one order.
        distinct = sorted(set(keys), key=str)
        for chunk in _chunks(distinct, _SESSION_CHUNK):
            cursor.execute(sql.sessions(len(chunk)), chunk)
            for key, upto, closed_at in cursor.fetchall():
                state[key] = [upto, closed_at]

        now_db = Event._meta.get_field("received_at").get_db_prep_value(timezone.now(), connection)
        rows_out: list = []
        quarantine: list[QuarantinedEvent] = []
        arriving: dict = {}  # session key -> seqs this batch brings (stored or quarantined)
        for key, (session, rows, bad) in zip(keys, prepared, strict=True):
            if key not in state:
                continue
            seqs = arriving.setdefault(key, set())
            for seq, t, kind, data in rows:
                rows_out.append((key, seq, t, kind, data))
                seqs.add(seq)
            for q in bad:
                quarantine.append(
                    QuarantinedEvent(
                        session_id=session.pk,
                        seq=q.seq,
                        raw=q.raw,
                        digest=hashlib.sha256(q.raw.encode()).hexdigest(),
                        reason=q.reason,
                    )
                )
                if q.seq is not None:
                    seqs.add(q.seq)
        sql.insert_rows(cursor, rows_out, now_db)
        if quarantine:
            # A resent bad event is kept once (per session and seq, or per identical content when it
            # has no seq) and still reported in every answer.
            QuarantinedEvent.objects.bulk_create(quarantine, ignore_conflicts=True)

        # Only a batch that brings a session's next seq can move its point.
        moving = [key for key, seqs in arriving.items() if state[key][0] + 1 in seqs]
        present: dict = {key: [] for key in moving}
        for chunk in _chunks(moving, _SESSION_CHUNK):
            args = [x for key in chunk for x in (key, state[key][0], state[key][0] + _WALK_WINDOW)]
            cursor.execute(sql.walk(len(chunk)), args + args)
            for key, seq in cursor.fetchall():
                present[key].append(seq)
        advances = []
        for key in moving:
            before = upto = state[key][0]
            seqs = sorted(present[key])
            while True:
                for seq in seqs:
                    if seq != upto + 1:
                        break
                    upto = seq
                else:
                    if seqs and upto == seqs[-1] and len(seqs) >= _WALK_WINDOW:  # the window was full
                        cursor.execute(sql.walk(1), [key, upto, upto + _WALK_WINDOW] * 2)
                        seqs = sorted(seq for _, seq in cursor.fetchall())
                        continue
                break
            if upto > before:
                advances.append((upto, key, upto))
                state[key][0] = upto
        if advances:
            cursor.executemany(sql.advance, advances)

    results: list[IngestResult | Exception] = []
    late = set()
    for key, (session, rows, bad) in zip(keys, prepared, strict=True):
        if key not in state:
            results.append(EditorSession.DoesNotExist(f"editor session {session.pk} is gone"))
            continue
        upto, closed_at = state[key]
        session.contiguous_upto = upto
        results.append(IngestResult(upto=upto, stored=len(rows), quarantined=bad, was_closed=closed_at is not None))
        if closed_at is not None and rows:
            late.add(session.annotation_id)
    for annotation_id in late:
        # Late events after submit: the annotation's signals were computed without them. Recomputed
        # by the refresher's own thread, at most once per interval: never on this shared write path.
        refresh.schedule(annotation_id=annotation_id)
    return results


def _frames_ingest_keeping_connection(*, frames):
    """frames_ingest for the batcher's thread, which keeps its database connection from batch to
    batch (opening one per batch costs a PostgreSQL backend start, or SQLite's file open and
    pragmas); a failed batch drops the connection so the next one starts on a fresh one."""
    try:
        return frames_ingest(frames=frames)
    except Exception:
        connection.close()
        raise


_batchers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def frame_batcher() -> "FrameBatcher":
    """The batcher of the running event loop (daphne runs one; tests start a loop per test)."""
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = FrameBatcher()
    return batcher


class FrameBatcher:
    """Group commit for one event loop: frames arriving while a transaction runs are written
    together in the next one. An idle server writes a frame at once (no waiting window); a busy
    one pays one thread hop and one commit per batch instead of per frame."""

    def __init__(self):
        self.queue: list = []
        self.draining = False
        self.task: asyncio.Future | None = None  # held so the running drain is not garbage-collected

    async def ingest(self, *, session: EditorSession, events: list) -> IngestResult:
        future = asyncio.get_running_loop().create_future()
        self.queue.append((session, events, future))
        if not self.draining:
            self.draining = True
            self.task = asyncio.ensure_future(self._drain())
        return await future

    async def _drain(self) -> None:
        write = sync_to_async(_frames_ingest_keeping_connection, thread_sensitive=True)
        try:
            while self.queue:
                batch, self.queue = self.queue, []
                try:
                    results = await write(frames=[(session, events) for session, events, _ in batch])
                except Exception as exc:  # the whole batch failed: every frame hears it, none is acked
                    results = [exc] * len(batch)
                for (_, _, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self.draining = False

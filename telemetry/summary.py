"""The evidence a reviewer reads first: a few signals in plain words, each beside the project's typical
range; the full signal table rounded; and where pasted text landed in the written text.

Pure functions except `project_typical_ranges` (one query). The signal names and units are those of
telemetry/features.py.
"""

import math
from collections.abc import Iterable, Mapping
from typing import Any

from telemetry.eventstream import percentile
from telemetry.features import BURST_PAUSE_MS, READ_DWELL_MS, TYPED_INPUT_TYPES
from telemetry.textdiff import text_diff

# Below this many other annotations with signals, a project has no typical range yet.
MIN_TYPICAL_N = 5
# The typical range is the middle 80 %: from the 10th to the 90th percentile.
TYPICAL_LOW, TYPICAL_HIGH = 0.1, 0.9
# The signal each summary line is compared on, and how its values are written.
TYPICAL_SIGNALS = {
    "time": ("time_ratio", "ratio"),
    "pasted": ("pasted_fraction", "percent"),
    "revisions": ("revision_ratio", "percent"),
    "references": ("references_read_fraction", "percent"),
    "pauses": ("pauses_2s", "count"),
}
SOURCE_NAMES = {
    "self": "its own text",
    "task": "the task text",
    "reference": "the references",
    "external": "outside the editor",
    "unknown": "an unknown source",
}


# --- numbers in words ---------------------------------------------------------------


def significant(value: Any, digits: int = 3) -> str:
    """A number rounded to `digits` significant digits, written without an exponent; integers whole."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value == 0:
            return "0"
        rounded = float(f"{value:.{digits}g}")
        decimals = max(0, digits - 1 - math.floor(math.log10(abs(rounded))))
        text = f"{rounded:,.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {significant(v, digits)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(significant(v, digits) for v in value) or "none"
    return str(value)


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.0f}%"


def _minutes(minutes: float) -> str:
    if minutes < 1:
        return f"{significant(float(minutes) * 60, 2)} s"
    return f"{significant(float(minutes), 2)} min"


def _as(value: float, unit: str) -> str:
    if unit == "ratio":
        return f"{significant(float(value), 2)}×"
    if unit == "percent":
        return _percent(value)
    return significant(round(value)) if float(value).is_integer() else significant(float(value), 2)


# --- the project's typical ranges ---------------------------------------------------


def typical_ranges(feature_rows: Iterable[Mapping]) -> dict[str, dict]:
    """{summary key: {"signal", "n", "low", "high", "text"}} over other annotations' features: the
    10th-90th percentile of each signal among those where it is defined, or, below MIN_TYPICAL_N,
    low/high None and a text that says so."""
    values: dict[str, list[float]] = {key: [] for key in TYPICAL_SIGNALS}
    for features in feature_rows:
        for key, (signal, _unit) in TYPICAL_SIGNALS.items():
            v = features.get(signal) if isinstance(features, Mapping) else None
            if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
                values[key].append(float(v))
    out = {}
    for key, (signal, unit) in TYPICAL_SIGNALS.items():
        ordered = sorted(values[key])
        n = len(ordered)
        if n < MIN_TYPICAL_N:
            out[key] = {
                "signal": signal,
                "n": n,
                "low": None,
                "high": None,
                "text": f"typical range: not enough work yet ({n} of {MIN_TYPICAL_N} other annotations needed)",
            }
            continue
        low, high = percentile(ordered, TYPICAL_LOW), percentile(ordered, TYPICAL_HIGH)
        out[key] = {
            "signal": signal,
            "n": n,
            "low": low,
            "high": high,
            "text": f"typical {_as(low, unit)}–{_as(high, unit)} (middle 80% of {n} other annotations)",
        }
    return out


def project_typical_ranges(*, annotation) -> dict[str, dict]:
    """The typical ranges of the annotation's project, over its other submitted annotations with
    signals: one query."""
    from telemetry.models import AnnotationSignals

    signals = [signal for signal, _unit in TYPICAL_SIGNALS.values()]
    rows = (
        AnnotationSignals.objects.filter(annotation__task__project_id=annotation.task.project_id)
        .filter(annotation__state="submitted")
        .exclude(annotation_id=annotation.pk)
        .values_list(*(f"features__{signal}" for signal in signals))  # only these keys leave the database
    )
    return typical_ranges(dict(zip(signals, row, strict=True)) for row in rows)


# --- the summary in words -------------------------------------------------------------


def _line(key: str, label: str, text: str, typical: dict, own: Any) -> dict:
    low, high = typical[key]["low"], typical[key]["high"]
    outside = None
    if isinstance(own, int | float) and low is not None:
        outside = "above" if own > high else "below" if own < low else None
    return {"key": key, "label": label, "text": text, "typical": typical[key]["text"], "outside": outside}


def evidence_summary(*, features: Mapping, typical: dict, reference_count: int = 0) -> dict:
    """{"no_events", "no_text", "lines": [{"key", "label", "text", "typical", "outside"}]}: time,
    typed vs pasted, revisions, references read and pauses in words. no_text is true when no free
    text was written (a classification without a rationale): then there is nothing to say about
    writing; no_events when nothing was recorded at all."""
    f = features
    if f.get("event_count") == 0:  # recording was off, or the work came in another way (API, import)
        return {"no_events": True, "no_text": False, "lines": []}
    final_length = f.get("final_length") or 0
    inserted = f.get("chars_inserted") or 0
    no_text = not final_length and not inserted
    lines = []

    active, expected, ratio = f.get("active_minutes"), f.get("expected_minutes"), f.get("time_ratio")
    if active is None:
        text = "No active time was recorded."
    elif expected and ratio is not None:
        text = f"{_minutes(active)} of active time against {_minutes(expected)} expected ({_as(ratio, 'ratio')})."
    elif expected:
        text = f"{_minutes(active)} of active time against {_minutes(expected)} expected."
    else:
        text = f"{_minutes(active)} of active time; the project sets no expected time."
    lines.append(_line("time", "Time", text, typical, ratio))
    if no_text:
        return {"no_events": False, "no_text": True, "lines": lines}

    fraction = f.get("pasted_fraction")
    by_source = f.get("pasted_chars_by_source") or {}
    if not f.get("paste_count"):
        text = "All typed: nothing was pasted."
    elif fraction is None or not final_length:
        text = f"{significant(f.get('pasted_chars') or 0)} characters pasted; the final text is empty."
    else:
        parts = [
            f"{_percent(min(1.0, chars / final_length))} from {SOURCE_NAMES.get(src, src)}"
            for src, chars in sorted(by_source.items(), key=lambda item: -item[1])
            if src != "self" and chars
        ]
        text = f"{_percent(1 - fraction)} typed, {_percent(fraction)} pasted"
        text += f": {', '.join(parts)}." if parts else "."
        if by_source.get("self"):
            text += f" {significant(by_source['self'])} characters of its own text were moved by copy and paste."
    lines.append(_line("pasted", "Typed vs pasted", text, typical, fraction))

    revision = f.get("revision_ratio")
    if revision is None:
        text = "Nothing was inserted in the editor, so nothing was revised."
    else:
        deleted = f.get("chars_deleted") or 0
        text = (
            f"{_percent(revision)} of what was written was deleted again "
            f"({significant(deleted)} of {significant(inserted)} characters)."
        )
    lines.append(_line("revisions", "Revisions", text, typical, revision))

    read = f.get("references_read_fraction")
    if read is None or not reference_count:
        text = "The task has no reference materials."
    else:
        text = (
            f"Read {round(read * reference_count)} of {reference_count} "
            f"reference{'s' if reference_count != 1 else ''} (open {READ_DWELL_MS // 1000} s or more)."
        )
    lines.append(_line("references", "References read", text, typical, read))

    pauses, longest = f.get("pauses_2s"), f.get("longest_pause_ms")
    if not f.get("iki_count"):
        text = "No typing rhythm was recorded."
    else:
        text = f"{pauses} pause{'s' if pauses != 1 else ''} of {BURST_PAUSE_MS // 1000} s or more while typing"
        text += f" (longest {significant(longest / 1000, 2)} s)." if longest else "."
    lines.append(_line("pauses", "Pauses", text, typical, pauses))
    return {"no_events": False, "no_text": False, "lines": lines}


def signal_table(*, features: Mapping, undefined: Mapping) -> list[dict]:
    """Every signal as a row {"name", "value", "undefined"}: values to 3 significant digits, an
    undefined one with its reason."""
    rows = []
    for name, value in features.items():
        if value is None:
            rows.append({"name": name, "value": undefined.get(name, "not measurable"), "undefined": True})
        else:
            rows.append({"name": name, "value": significant(value), "undefined": False})
    for name, why in undefined.items():
        if name not in features:
            rows.append({"name": name, "value": why, "undefined": True})
    return rows


def _named(values: Mapping) -> str:
    return ", ".join(f"{name} = {significant(value)}" for name, value in values.items())


def flag_values(flags: Iterable[Mapping]) -> list[dict]:
    """The flags with their values and thresholds rounded for reading."""
    out = []
    for flag in flags or []:
        if not isinstance(flag, Mapping):
            continue
        values = flag.get("values")
        threshold = flag.get("threshold")
        out.append(
            {
                **flag,
                "values_text": _named(values) if isinstance(values, Mapping) else "",
                "threshold_text": _named(threshold) if isinstance(threshold, Mapping) else significant(threshold),
            }
        )
    return out


# --- where pasted text landed ---------------------------------------------------------


class _Spans:
    """Pasted stretches [start, end, source] of one field's text, kept in step with its edits."""

    def __init__(self) -> None:
        self.spans: list[list] = []
        self.length = 0

    def delete(self, a: int, b: int) -> None:
        a, b = max(0, min(a, self.length)), max(0, min(b, self.length))
        if b <= a:
            return
        n = b - a
        kept = []
        for start, end, src in self.spans:
            if end <= a:
                kept.append([start, end, src])
            elif start >= b:
                kept.append([start - n, end - n, src])
            else:
                if start < a:
                    kept.append([start, a, src])
                if end > b:
                    kept.append([a, a + end - b, src])
        self.spans = kept
        self.length -= n

    def insert(self, p: int, n: int, src: str | None) -> None:
        p = max(0, min(p, self.length))
        if n <= 0:
            return
        moved = []
        for start, end, s in self.spans:
            if end <= p:
                moved.append([start, end, s])
            elif start >= p:
                moved.append([start + n, end + n, s])
            else:
                moved += [[start, p, s], [p + n, end + n, s]]
        if src is not None:
            moved.append([p, p + n, src])
        self.spans = sorted(moved)
        self.length += n

    def resync(self, length: int) -> None:
        """The page reported another length than the edits add up to: trust the page."""
        if length < self.length:
            self.delete(length, self.length)
        self.length = length

    def copy(self) -> list[tuple]:
        return [tuple(s) for s in self.spans]


def _int(data: Mapping, name: str) -> int | None:
    v = data.get(name)
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _apply_input(spans: _Spans, data: Mapping, pending_paste: dict | None) -> None:
    it, pos, d, after = str(data.get("it", "")), _int(data, "pos"), _int(data, "d"), _int(data, "len")
    if pos is None or d is None:
        if after is not None:
            spans.resync(after)
        return
    if after is not None and after - d != spans.length:
        spans.resync(after - d)
    if it == "insertFromPaste" or (it.startswith("insert") and d > 0) or (it in TYPED_INPUT_TYPES):
        src = None
        inserted = max(d, 0)
        if it == "insertFromPaste":
            src = (pending_paste or {}).get("src", "unknown")
            pasted = _int(pending_paste or {}, "len")
            # The paste may have replaced a selection (d = pasted - selected).
            if pasted is not None and pasted >= d and (after is None or pos + pasted <= after):
                inserted = pasted
        elif it in TYPED_INPUT_TYPES and d <= 0:
            inserted = 1  # one character typed over a selection
        spans.delete(pos, pos + inserted - d)
        spans.insert(pos, inserted, src)
    elif it.startswith("delete") and d < 0:
        n = -d
        backward = "Backward" in it and (n == 1 or "Word" in it or "Line" in it)
        start = pos - n if backward else pos
        spans.delete(start, start + n)
    elif d > 0:  # undo, redo, drop, an unknown kind: where it landed is the caret's best guess
        spans.insert(pos, d, None)
    elif d < 0:
        spans.delete(pos, pos - d)
    if after is not None and after != spans.length:
        spans.resync(after)


def paste_spans(events: Iterable[Mapping]) -> tuple[dict[str, list[tuple]], list[list[tuple]]]:
    """Follow the input events of every field (events in session order, then seq) to find where
    pasted text sits: ({field: [(start, end, source)] at the end}, [the spans in the text of each
    `rev` snapshot, in order]). A paste event announces the length and source of the
    insertFromPaste input that follows it in the same field."""
    fields: dict[str, _Spans] = {}
    pending: dict[str, dict] = {}
    at_snapshot: list[list[tuple]] = []
    for ev in events:
        data = ev.get("data") or {}
        field = str(data.get("field", ""))
        kind = ev.get("kind")
        if kind == "paste":
            pending[field] = data
        elif kind == "input":
            spans = fields.setdefault(field, _Spans())
            _apply_input(spans, data, pending.pop(field, None) if data.get("it") == "insertFromPaste" else None)
        elif kind == "rev" and isinstance(data.get("text"), str):
            spans = fields.setdefault(field, _Spans())
            spans.resync(len(data["text"]))
            at_snapshot.append(spans.copy())
    return {name: s.copy() for name, s in fields.items()}, at_snapshot


def marked_segments(text: str, spans: Iterable[tuple]) -> list[dict]:
    """[{"text", "src"}] spelling `text`, src the paste source of a pasted stretch (None: written)."""
    segments, at = [], 0
    for start, end, src in sorted(spans):
        start, end = max(start, at), min(end, len(text))
        if end <= start:
            continue
        if start > at:
            segments.append({"text": text[at:start], "src": None})
        segments.append({"text": text[start:end], "src": src})
        at = end
    if at < len(text):
        segments.append({"text": text[at:], "src": None})
    return segments


def diff_marked(diff: list[dict], spans: Iterable[tuple]) -> list[dict]:
    """A snapshot's diff [{"op", "text"}] with its equal and inserted parts split where pasted text
    (spans in the new text) begins and ends: [{"op", "text", "src"}]."""
    spans = sorted(spans)
    out, at = [], 0
    for part in diff:
        if part["op"] == "delete":
            out.append({**part, "src": None})
            continue
        text = part["text"]
        inside = [(s - at, e - at, src) for s, e, src in spans if e > at and s < at + len(text)]
        for seg in marked_segments(text, inside):
            out.append({"op": part["op"], "text": seg["text"], "src": seg["src"]})
        at += len(text)
    return out


def version_changes(versions: list, fields: Iterable[str]) -> list[dict]:
    """Between consecutive submitted versions: [{"before", "after", "fields": [{"field", "diff"}],
    "other": [{"name", "before", "after"}: other parts of the result that changed]}]."""
    changes = []
    for old, new in zip(versions, versions[1:], strict=False):
        before = old.result if isinstance(old.result, dict) else {}
        after = new.result if isinstance(new.result, dict) else {}
        diffs = []
        for name in fields:
            a, b = before.get(name), after.get(name)
            if (isinstance(a, str) or isinstance(b, str)) and a != b:
                a, b = a if isinstance(a, str) else "", b if isinstance(b, str) else ""
                diffs.append({"field": name, "diff": [{"op": op, "text": t} for op, t in text_diff(a, b)]})
        other = [
            {"name": k, "before": _plain(before.get(k)), "after": _plain(after.get(k))}
            for k in sorted(set(before) | set(after))
            if k not in fields and before.get(k) != after.get(k)
        ]
        changes.append({"before": old.number, "after": new.number, "fields": diffs, "other": other})
    return changes


def _plain(value: Any) -> str | None:
    """A label, a choice or a list of them in words; None for anything nested (named only)."""
    if value is None:
        return "none"
    if isinstance(value, str | int | float | bool):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(map(str, value)) or "none"
    return None

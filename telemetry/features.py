"""Writing-process features of one annotation, from its stored telemetry events.

Pure functions: no database, no clock. The input is every event of the annotation's editor sessions
(mappings with seq, t = ms since that session started, kind, data, and session = any id that tells
sessions apart), in session order, plus a `FeatureContext` (the project's expected minutes, the
task's difficulty and reference ids, the submitted text of each instrumented field).

The output is a flat dict of named features and a dict {feature: reason} for every feature that is
None for this annotation: a value that cannot be measured stays None with its reason, never a 0
that would read as a measurement. The families are listed in docs/architecture.md.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from telemetry.eventstream import (
    Ev,
    Sheet,
    int_field,
    intervals,
    is_terminal,
    mean,
    percentile,
    sample_sd,
    sessions_split,
)
from telemetry.textdiff import edit_distance

PRODUCTION_KEYS = frozenset({"letter", "digit", "punct", "space", "enter"})
REVISION_KEYS = frozenset({"backspace", "delete"})
WRITING_KEYS = PRODUCTION_KEYS | REVISION_KEYS
PAUSE_THRESHOLDS_MS = {"pauses_0_5s": 500, "pauses_1s": 1000, "pauses_2s": 2000, "pauses_5s": 5000, "pauses_10s": 10000}
# A P-burst ends at a pause of this length (the same 2 s that triggers a `rev` snapshot).
BURST_PAUSE_MS = 2000
# A gap between two events longer than this is idle time, not work.
IDLE_GAP_MS = 30_000
# An insertion this large in one input event is a "large insertion" for the off-screen measures.
LARGE_INSERTION_CHARS = 50
# An absence "immediately before" an insertion ended at most this long before it.
ABSENCE_LINK_MS = 10_000
# A reference counts as read when it stayed open at least this long.
READ_DWELL_MS = 3000
# Difficulty at which the project's expected minutes apply as they are (tasks are rated 1-5).
BASELINE_DIFFICULTY = 3

TYPED_INPUT_TYPES = frozenset({"insertText", "insertLineBreak", "insertParagraph"})
COMPOSITION_INPUT_TYPES = frozenset({"insertCompositionText", "insertFromComposition", "deleteCompositionText"})
HISTORY_INPUT_TYPES = frozenset({"historyUndo", "historyRedo"})


@dataclass(frozen=True)
class FeatureContext:
    expected_minutes: float | None = None
    difficulty: int | None = None
    reference_ids: tuple[str, ...] = ()
    # {field name: submitted text}; None when the submitted text is unknown.
    final_texts: dict[str, str] | None = field(default=None)


# --- families ---------------------------------------------------------------------


def features_compute(events: Iterable[Mapping], context: FeatureContext) -> tuple[dict[str, Any], dict[str, str]]:
    """({feature: value}, {feature: why it is None}) for one annotation's events."""
    sessions = sessions_split(events)
    sheet = Sheet()
    all_events = [ev for session in sessions for ev in session]
    sheet.put("event_count", len(all_events))
    sheet.put("session_count", len(sessions))
    active_ms = _time(sheet, sessions, context)
    final_length = _volume(sheet, all_events, context)
    _rhythm_and_pauses(sheet, sessions, active_ms)
    _bursts(sheet, sessions)
    _revision(sheet, all_events, context)
    _external(sheet, sessions, final_length)
    _attention(sheet, sessions)
    _integrity(sheet, sessions)
    _navigation(sheet, sessions, context)
    if final_length and active_ms:
        sheet.put("final_chars_per_active_minute", final_length / (active_ms / 60000))
    else:
        sheet.put("final_chars_per_active_minute", None, "no final text or no active time")
    return sheet.values, sheet.undefined


def _time(sheet: Sheet, sessions: list[list[Ev]], context: FeatureContext) -> float:
    """Active time: gaps between consecutive events (from the page load at t = 0) shorter than
    IDLE_GAP_MS, while the page was visible. Total time: page load to last event, summed."""
    total = active = 0.0
    for session in sessions:
        total += session[-1].t
        previous, hidden = 0.0, False
        for ev in session:
            gap = ev.t - previous
            if 0 <= gap < IDLE_GAP_MS and not hidden:
                active += gap
            previous = ev.t
            if ev.kind == "vis":
                hidden = ev.data.get("state") == "hidden"
    sheet.put("total_ms", total)
    sheet.put("active_ms", active)
    sheet.put("active_minutes", active / 60000)
    expected = context.expected_minutes
    sheet.put("expected_minutes", expected, "the project has no expected time per task")
    if not expected or expected <= 0:
        sheet.put("time_ratio", None, "the project has no expected time per task")
        sheet.put("time_ratio_difficulty_adjusted", None, "the project has no expected time per task")
    elif not sessions:
        sheet.put("time_ratio", None, "no telemetry events")
        sheet.put("time_ratio_difficulty_adjusted", None, "no telemetry events")
    else:
        sheet.put("time_ratio", active / 60000 / expected)
        if context.difficulty:
            # Expected time scales with difficulty: a 5 takes 5/3 of the project's expected minutes.
            adjusted = expected * context.difficulty / BASELINE_DIFFICULTY
            sheet.put("time_ratio_difficulty_adjusted", active / 60000 / adjusted)
        else:
            sheet.put("time_ratio_difficulty_adjusted", None, "the task has no difficulty rating")
    return active


def _volume(sheet: Sheet, evs: list[Ev], context: FeatureContext) -> int | None:
    keys = [ev for ev in evs if ev.kind == "key"]
    inputs = [ev for ev in evs if ev.kind == "input"]
    deltas = [int_field(ev.data, "d") or 0 for ev in inputs]
    sheet.put("key_count", len(keys))
    sheet.put("production_keys", sum(1 for ev in keys if ev.data.get("cls") in PRODUCTION_KEYS))
    sheet.put("insertion_events", sum(1 for d in deltas if d > 0))
    sheet.put("deletion_events", sum(1 for d in deltas if d < 0))
    inserted = sum(d for d in deltas if d > 0)
    sheet.put("chars_inserted", inserted)
    sheet.put("chars_deleted", -sum(d for d in deltas if d < 0))
    if context.final_texts is not None:
        final_length = sum(len(text) for text in context.final_texts.values())
    else:
        # Without the submitted text, the last length each field reported.
        last: dict[str, int] = {}
        for ev in evs:
            if ev.kind == "input" and int_field(ev.data, "len") is not None:
                last[ev.data.get("field", "")] = int_field(ev.data, "len")
            elif ev.kind == "rev" and isinstance(ev.data.get("text"), str):
                last[ev.data.get("field", "")] = len(ev.data["text"])
        final_length = sum(last.values()) if last else None
    sheet.put("final_length", final_length, "neither the submitted text nor any field length is known")
    if final_length is None:
        sheet.put("product_process_ratio", None, "the final length is unknown")
    elif not inserted:
        sheet.put("product_process_ratio", None, "no characters were inserted in an instrumented editor")
    else:
        sheet.put("product_process_ratio", final_length / inserted)
    return final_length


def _rhythm_and_pauses(sheet: Sheet, sessions: list[list[Ev]], active_ms: float) -> None:
    """Inter-key intervals between writing keys (production and revision, auto-repeat excluded),
    within one session only: the gap between two page loads is not a keystroke interval."""
    ikis: list[float] = []
    intraword: list[float] = []
    before_word: list[float] = []
    writing_keys = 0
    for session in sessions:
        previous: Ev | None = None
        for ev in session:
            if ev.kind != "key" or ev.data.get("cls") not in WRITING_KEYS:
                continue
            writing_keys += 1
            if ev.data.get("rep"):
                previous = None
                continue
            if previous is not None:
                gap = ev.t - previous.t
                ikis.append(gap)
                if ev.data["cls"] == "letter" and previous.data["cls"] == "letter":
                    intraword.append(gap)
                if ev.data["cls"] == "letter" and previous.data["cls"] == "space":
                    before_word.append(gap)
            previous = ev
    sheet.put("iki_count", len(ikis))
    few = "fewer than two keystroke intervals were recorded"
    ordered = sorted(ikis)
    for name, p in (("iki_median_ms", 0.5), ("iki_p10_ms", 0.1), ("iki_p25_ms", 0.25), ("iki_p75_ms", 0.75)):
        sheet.put(name, percentile(ordered, p) if ordered else None, "no keystroke intervals were recorded")
    sheet.put("iki_p90_ms", percentile(ordered, 0.9) if ordered else None, "no keystroke intervals were recorded")
    sheet.put(
        "iki_iqr_ms",
        percentile(ordered, 0.75) - percentile(ordered, 0.25) if ordered else None,
        "no keystroke intervals were recorded",
    )
    iki_mean = mean(ikis)
    sheet.put("iki_mean_ms", iki_mean, "no keystroke intervals were recorded")
    if len(ikis) >= 2 and iki_mean:
        sheet.put("iki_cv", sample_sd(ikis) / iki_mean)
    else:
        sheet.put("iki_cv", None, few if len(ikis) < 2 else "all keystroke intervals were 0 ms")
    logs = [math.log(v) for v in ikis if v > 0]
    sheet.put("iki_log_sd", sample_sd(logs) if len(logs) >= 2 else None, few + " (of more than 0 ms)")
    sheet.put(
        "intraword_iki_median_ms",
        percentile(sorted(intraword), 0.5) if intraword else None,
        "no letter followed another letter",
    )
    sheet.put("pre_word_pause_mean_ms", mean(before_word), "no letter followed a space (no second word was typed)")
    sheet.put(
        "keys_per_minute",
        writing_keys / (active_ms / 60000) if active_ms else None,
        "no active time was recorded",
    )
    for name, threshold in PAUSE_THRESHOLDS_MS.items():
        sheet.put(name, sum(1 for gap in ikis if gap >= threshold))
    pause_time = sum(gap for gap in ikis if gap >= BURST_PAUSE_MS)
    sheet.put("pause_time_ms", pause_time)
    sheet.put(
        "pause_fraction",
        pause_time / sum(ikis) if ikis and sum(ikis) else None,
        "no keystroke intervals were recorded",
    )
    sheet.put("longest_pause_ms", max(ikis) if ikis else None, "no keystroke intervals were recorded")


def _bursts(sheet: Sheet, sessions: list[list[Ev]]) -> None:
    """Characters typed between boundaries. A burst ends in a revision (R-burst: a deletion, or an
    edit that jumps away from the end of the text) or otherwise (P-burst: a pause >= 2 s between
    writing events, an insertion from outside, or the end of the session)."""
    p_bursts: list[int] = []
    r_bursts: list[int] = []
    for session in sessions:
        current, last_t, last_terminal = 0, None, True
        for ev in session:
            writing_key = ev.kind == "key" and ev.data.get("cls") in WRITING_KEYS
            if not writing_key and ev.kind != "input":
                continue
            if last_t is not None and ev.t - last_t >= BURST_PAUSE_MS and current:
                p_bursts.append(current)
                current = 0
            last_t = ev.t
            if ev.kind != "input":
                continue
            delta, kind, terminal = int_field(ev.data, "d") or 0, ev.data.get("it", ""), is_terminal(ev)
            jumped = terminal is False and last_terminal
            if terminal is not None and delta:
                last_terminal = terminal
            if delta < 0 or jumped:
                if current:
                    r_bursts.append(current)
                current = 0
            if delta > 0 and (kind in TYPED_INPUT_TYPES or kind in COMPOSITION_INPUT_TYPES):
                current += delta
            elif delta > 0:
                if current:
                    p_bursts.append(current)
                current = 0
        if current:
            p_bursts.append(current)
    for prefix, bursts in (("p_burst", p_bursts), ("r_burst", r_bursts)):
        sheet.put(f"{prefix}_count", len(bursts))
        sheet.put(f"{prefix}_mean_chars", mean(bursts), f"no {prefix.replace('_', '-')}s")
        sheet.put(f"{prefix}_max_chars", max(bursts) if bursts else None, f"no {prefix.replace('_', '-')}s")


def _revision(sheet: Sheet, evs: list[Ev], context: FeatureContext) -> None:
    keys = Counter(ev.data.get("cls") for ev in evs if ev.kind == "key")
    sheet.put("backspaces", keys["backspace"])
    sheet.put("deletes", keys["delete"])
    inputs = [ev for ev in evs if ev.kind == "input"]
    deleted = -sum(min(0, int_field(ev.data, "d") or 0) for ev in inputs)
    inserted = sum(max(0, int_field(ev.data, "d") or 0) for ev in inputs)
    sheet.put("deleted_chars", deleted)
    sheet.put(
        "non_terminal_edits", sum(1 for ev in inputs if (int_field(ev.data, "d") or 0) and is_terminal(ev) is False)
    )
    sheet.put("revision_ratio", deleted / inserted if inserted else None, "no characters were inserted")
    kinds = Counter(ev.data.get("it") for ev in inputs)
    sheet.put("undo_count", kinds["historyUndo"])
    sheet.put("redo_count", kinds["historyRedo"])

    snapshots: dict[str, list[str]] = defaultdict(list)
    for ev in evs:
        if ev.kind == "rev" and isinstance(ev.data.get("text"), str):
            snapshots[ev.data.get("field", "")].append(ev.data["text"])
    sheet.put("snapshot_count", sum(len(texts) for texts in snapshots.values()))
    if not snapshots:
        sheet.put("snapshot_edit_distance_total", None, "no text snapshots were recorded")
        sheet.put("snapshot_edit_distance_first_final", None, "no text snapshots were recorded")
        return
    sheet.put(
        "snapshot_edit_distance_total",
        sum(edit_distance(a, b) for texts in snapshots.values() for a, b in zip(texts, texts[1:], strict=False)),
    )
    finals = context.final_texts or {}
    sheet.put(
        "snapshot_edit_distance_first_final",
        sum(edit_distance(texts[0], finals.get(name, texts[-1])) for name, texts in snapshots.items()),
    )


def _external(sheet: Sheet, sessions: list[list[Ev]], final_length: int | None) -> None:
    evs = [ev for session in sessions for ev in session]
    pastes = [ev for ev in evs if ev.kind == "paste"]
    sizes = [int_field(ev.data, "len") or 0 for ev in pastes]
    sheet.put("paste_count", len(pastes))
    sheet.put("pasted_chars", sum(sizes))
    sheet.put("largest_paste_chars", max(sizes) if sizes else None, "nothing was pasted")
    by_source_count: Counter = Counter()
    by_source_chars: Counter = Counter()
    for ev, size in zip(pastes, sizes, strict=True):
        by_source_count[ev.data.get("src", "unknown")] += 1
        by_source_chars[ev.data.get("src", "unknown")] += size
    sheet.put("paste_count_by_source", dict(sorted(by_source_count.items())))
    sheet.put("pasted_chars_by_source", dict(sorted(by_source_chars.items())))
    # Moving one's own words around (src "self") is writing, not outside text.
    outside = sum(size for ev, size in zip(pastes, sizes, strict=True) if ev.data.get("src") != "self")
    if not final_length:
        sheet.put("pasted_fraction", None, "the final text is empty or unknown")
    else:
        sheet.put("pasted_fraction", min(1.0, outside / final_length))
    sheet.put("cut_count", sum(1 for ev in evs if ev.kind == "cut"))
    sheet.put("copy_count", sum(1 for ev in evs if ev.kind == "copy"))

    # Silent insertion: characters that appear without a key, a paste, an IME composition or an undo
    # to explain them (autocorrect/autofill replacements, drops, text set by a script).
    silent = inserted = drops = 0
    for session in sessions:
        pending_keys = 0
        for ev in session:
            if ev.kind == "key" and ev.data.get("cls") in PRODUCTION_KEYS:
                pending_keys += 1
                continue
            if ev.kind != "input":
                continue
            delta, kind = int_field(ev.data, "d") or 0, ev.data.get("it", "")
            drops += kind == "insertFromDrop"
            if delta > 0:
                inserted += delta
                if kind in TYPED_INPUT_TYPES:
                    silent += delta - min(delta, pending_keys)
                elif not (kind == "insertFromPaste" or kind in COMPOSITION_INPUT_TYPES or kind in HISTORY_INPUT_TYPES):
                    silent += delta
            pending_keys = 0
    sheet.put("drop_count", drops)
    sheet.put("silent_insert_chars", silent)
    sheet.put("silent_insert_ratio", silent / inserted if inserted else None, "no characters were inserted")


def _attention(sheet: Sheet, sessions: list[list[Ev]]) -> None:
    blur_spans: list[float] = []
    hidden_spans: list[float] = []
    best_absence: float | None = None
    best_insert = 0
    large_insertions = 0
    first_key: float | None = None
    for session in sessions:
        blur_spans += intervals(session, {("blur", None)}, {("focus", None)})
        hidden_spans += intervals(session, {("vis", "hidden")}, {("vis", "visible")})
        # Absences in this session as (start, end), for the "right before a large insertion" measure.
        ended: list[tuple[float, float]] = []
        blur_at = hidden_at = None
        for ev in session:
            if first_key is None and ev.kind == "key" and ev.data.get("cls") in PRODUCTION_KEYS:
                first_key = ev.t
            if ev.kind == "blur" and blur_at is None:
                blur_at = ev.t
            elif ev.kind == "focus" and blur_at is not None:
                ended.append((blur_at, ev.t))
                blur_at = None
            elif ev.kind == "vis" and ev.data.get("state") == "hidden" and hidden_at is None:
                hidden_at = ev.t
            elif ev.kind == "vis" and ev.data.get("state") == "visible" and hidden_at is not None:
                ended.append((hidden_at, ev.t))
                hidden_at = None
            size = int_field(ev.data, "d") if ev.kind == "input" else None  # a paste arrives as an input event too
            if size is None or size < LARGE_INSERTION_CHARS:
                continue
            large_insertions += 1
            recent = [end - start for start, end in ended if 0 <= ev.t - end <= ABSENCE_LINK_MS]
            absence = max(recent, default=0.0)
            if best_absence is None or absence > best_absence or (absence == best_absence and size > best_insert):
                best_absence, best_insert = absence, size
    sheet.put("blur_count", len(blur_spans))
    sheet.put("blur_time_ms", sum(blur_spans))
    sheet.put("hidden_count", len(hidden_spans))
    sheet.put("hidden_time_ms", sum(hidden_spans))
    sheet.put("longest_absence_ms", max(blur_spans + hidden_spans, default=0.0))
    sheet.put("large_insertions", large_insertions)
    no_large = f"no insertion of {LARGE_INSERTION_CHARS} or more characters at once"
    sheet.put("absence_before_large_insert_ms", best_absence, no_large)
    sheet.put("insertion_after_absence_chars", best_insert if best_absence is not None else None, no_large)
    sheet.put("first_keystroke_latency_ms", first_key, "no character key was pressed")


def _integrity(sheet: Sheet, sessions: list[list[Ev]]) -> None:
    evs = [ev for session in sessions for ev in session]
    reported = [ev for ev in evs if isinstance(ev.data.get("trusted"), bool)]
    untrusted = sum(1 for ev in reported if ev.data["trusted"] is False)
    sheet.put("untrusted_events", untrusted)
    fraction = untrusted / len(reported) if reported else None
    sheet.put("untrusted_fraction", fraction, "no event reported whether it was trusted")
    starts = [ev for ev in evs if ev.kind == "comp" and ev.data.get("phase") == "start"]
    sheet.put("ime_compositions", len(starts))
    composing = 0.0
    for session in sessions:
        started = None
        for ev in session:
            if ev.kind == "comp" and ev.data.get("phase") == "start":
                started = ev.t
            elif ev.kind == "comp" and ev.data.get("phase") == "end" and started is not None:
                composing += ev.t - started
                started = None
    sheet.put("ime_composition_ms", composing)


def _navigation(sheet: Sheet, sessions: list[list[Ev]], context: FeatureContext) -> None:
    opened = 0
    dwell: dict[str, float] = defaultdict(float)
    scroll: dict[str, float] = {}
    for session in sessions:
        open_at: dict[str, float] = {}
        for ev in session:
            ref = str(ev.data.get("ref", ""))
            if ev.kind == "nav" and ev.data.get("action") == "open":
                opened += 1
                open_at.setdefault(ref, ev.t)
                dwell[ref] += 0.0
            elif ev.kind == "nav" and ev.data.get("action") == "close" and ref in open_at:
                dwell[ref] += ev.t - open_at.pop(ref)
            elif ev.kind == "scroll" and isinstance(ev.data.get("frac"), int | float):
                scroll[ref] = max(scroll.get(ref, 0.0), float(ev.data["frac"]))
        for ref, started in open_at.items():  # still open when the session ended
            dwell[ref] += session[-1].t - started
    sheet.put("references_opened", opened)
    sheet.put("distinct_references_opened", len(dwell))
    sheet.put("reference_dwell_ms", dict(sorted(dwell.items())))
    sheet.put("reference_dwell_total_ms", sum(dwell.values()))
    sheet.put("reference_max_scroll", dict(sorted(scroll.items())))
    task_refs = [str(ref) for ref in context.reference_ids]
    if not task_refs:
        sheet.put("references_read_fraction", None, "the task has no reference materials")
    else:
        read = sum(1 for ref in task_refs if dwell.get(ref, 0.0) >= READ_DWELL_MS)
        sheet.put("references_read_fraction", read / len(task_refs))

"""The event stream as the feature families read it: sessions of typed events, small statistics,
and the sheet that collects features with a reason for every undefined one."""

import math
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple


class Ev(NamedTuple):
    seq: int
    t: float
    kind: str
    data: dict


class Sheet:
    """Collects features; a None value must say why."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.undefined: dict[str, str] = {}

    def put(self, name: str, value: Any, why_none: str = "") -> None:
        if isinstance(value, float):
            value = float(f"{value:.9g}")  # tidy JSON, precision kept for small ratios
        self.values[name] = value
        if value is None:
            self.undefined[name] = why_none or "not measurable from the recorded events"


# --- small statistics -------------------------------------------------------------


def percentile(sorted_values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default): position (n - 1) * p."""
    k = (len(sorted_values) - 1) * p
    lo, hi = math.floor(k), math.ceil(k)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def sample_sd(values: list[float]) -> float:
    if max(values) == min(values):  # exactly 0, not a rounding residue of the mean
        return 0.0
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


# --- event stream -----------------------------------------------------------------


def sessions_split(events: Iterable[Mapping]) -> list[list[Ev]]:
    """Group by session (in order of first appearance), each ordered by seq."""
    groups: dict[Any, list[Ev]] = {}
    for e in events:
        groups.setdefault(e.get("session"), []).append(
            Ev(int(e["seq"]), float(e["t"]), str(e["kind"]), dict(e.get("data") or {}))
        )
    return [sorted(evs, key=lambda ev: ev.seq) for evs in groups.values()]


def int_field(data: dict, key: str) -> int | None:
    value = data.get(key)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def is_terminal(ev: Ev) -> bool | None:
    """Whether an input event edits the end of the text: caret at the old end (pos >= len - d)."""
    pos, delta, length = int_field(ev.data, "pos"), int_field(ev.data, "d"), int_field(ev.data, "len")
    if pos is None or delta is None or length is None:
        return None
    return pos >= length - delta


def intervals(session: list[Ev], opens: set[tuple[str, Any]], closes: set[tuple[str, Any]]) -> list[float]:
    """Durations of the spans opened by an event in `opens` and closed by one in `closes`
    (an unclosed span ends at the session's last event)."""
    spans, started = [], None
    for ev in session:
        key = (ev.kind, ev.data.get("state"))
        if key in opens and started is None:
            started = ev.t
        elif key in closes and started is not None:
            spans.append(ev.t - started)
            started = None
    if started is not None:
        spans.append(session[-1].t - started)
    return spans

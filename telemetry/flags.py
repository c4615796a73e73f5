"""Writing-process flags: evidence for a reviewer, never an automatic verdict.

A flag fires when features cross thresholds; it carries the values that fired it, the thresholds it
was judged against, and a plain-language explanation. Nothing changes state because of a flag.

Thresholds default to DEFAULT_THRESHOLDS and are overridden per project by Project.flag_thresholds,
keyed by flag name: a number replaces the flag's main threshold ({"paste_dominant": 0.6}), a dict
replaces named parameters ({"transcription_rhythm": {"min_keys": 50}}), false turns the flag off.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError

DEFAULT_THRESHOLDS: dict[str, dict[str, float]] = {
    "paste_dominant": {"min_pasted_fraction": 0.5, "min_final_length": 20},
    "silent_insertion": {"min_silent_ratio": 0.2, "min_silent_chars": 20},
    # Human typing has a log-IKI standard deviation around 0.5-1.0; a replayed or scripted
    # transcription is far more regular, and does not stop to think or correct.
    "transcription_rhythm": {"max_iki_log_sd": 0.15, "min_keys": 100, "max_pauses_2s": 0, "max_revision_ratio": 0.0},
    "off_screen_composition": {"min_absence_ms": 20_000},
    # Fast typists sustain ~600 keys a minute; 1,000 characters of final text per active minute means
    # the text was not produced in the time spent.
    "implausible_speed": {"max_keys_per_minute": 800, "max_chars_per_active_minute": 1000, "min_final_length": 100},
    "synthetic_input": {"min_untrusted": 1},
}
MAIN_THRESHOLD = {
    "paste_dominant": "min_pasted_fraction",
    "silent_insertion": "min_silent_ratio",
    "transcription_rhythm": "max_iki_log_sd",
    "off_screen_composition": "min_absence_ms",
    "implausible_speed": "max_keys_per_minute",
    "synthetic_input": "min_untrusted",
}
LABELS = {
    "paste_dominant": "Paste-dominant",
    "silent_insertion": "Silent insertion",
    "transcription_rhythm": "Transcription rhythm",
    "off_screen_composition": "Off-screen composition",
    "implausible_speed": "Implausible speed",
    "synthetic_input": "Synthetic input",
}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def flag_thresholds_validate(value: Any) -> dict:
    """The clean per-project overrides, or ValidationError naming each bad entry."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationError({"flag_thresholds": "Flag thresholds must be an object keyed by flag name."})
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, override in value.items():
        key = f"flag_thresholds.{name}"
        if name not in DEFAULT_THRESHOLDS:
            errors[key] = f"Unknown flag {name!r}. Known: {', '.join(DEFAULT_THRESHOLDS)}."
        elif override is False:
            clean[name] = False
        elif _number(override) is not None:
            clean[name] = {MAIN_THRESHOLD[name]: _number(override)}
        elif isinstance(override, dict):
            bad = [p for p, v in override.items() if p not in DEFAULT_THRESHOLDS[name] or _number(v) is None]
            if bad:
                allowed = ", ".join(DEFAULT_THRESHOLDS[name])
                errors[key] = f"Bad parameter(s) {', '.join(map(str, bad))}: numbers for {allowed} only."
            else:
                clean[name] = {p: _number(v) for p, v in override.items()}
        else:
            errors[key] = "Give a number (the main threshold), an object of parameters, or false to turn it off."
    if errors:
        raise ValidationError(errors)
    return clean


def thresholds_resolve(overrides: Any) -> dict[str, dict[str, float] | None]:
    """Defaults with the project's valid overrides applied (None = flag turned off). Invalid entries
    are ignored here, so a bad setting never blocks a submission; the admin form validates them."""
    resolved: dict[str, dict[str, float] | None] = {name: dict(p) for name, p in DEFAULT_THRESHOLDS.items()}
    for name, override in (overrides or {}).items() if isinstance(overrides, dict) else ():
        try:
            clean = flag_thresholds_validate({name: override})
        except ValidationError:
            continue
        resolved[name] = None if clean[name] is False else {**resolved[name], **clean[name]}
    return resolved


def _g(features: dict, name: str) -> Any:
    return features.get(name)


def _paste_dominant(f: dict, t: dict) -> tuple[dict, str] | None:
    fraction, length = _g(f, "pasted_fraction"), _g(f, "final_length") or 0
    if fraction is None or fraction < t["min_pasted_fraction"] or length < t["min_final_length"]:
        return None
    values = {
        "pasted_fraction": fraction,
        "pasted_chars": _g(f, "pasted_chars"),
        "final_length": length,
        "paste_count_by_source": _g(f, "paste_count_by_source"),
    }
    return values, (
        f"{fraction:.0%} of the submitted text ({length} characters) arrived by pasting from outside the editor "
        f"(threshold {t['min_pasted_fraction']:.0%}). Check where it came from: the sources are listed."
    )


def _silent_insertion(f: dict, t: dict) -> tuple[dict, str] | None:
    ratio, chars = _g(f, "silent_insert_ratio"), _g(f, "silent_insert_chars") or 0
    if ratio is None or ratio < t["min_silent_ratio"] or chars < t["min_silent_chars"]:
        return None
    values = {"silent_insert_ratio": ratio, "silent_insert_chars": chars, "chars_inserted": _g(f, "chars_inserted")}
    return values, (
        f"{chars} inserted characters ({ratio:.0%} of all insertions) are not explained by keystrokes, pastes, "
        f"input-method composition or undo: autocomplete, drag-and-drop or text set by a script."
    )


def _transcription_rhythm(f: dict, t: dict) -> tuple[dict, str] | None:
    log_sd, keys = _g(f, "iki_log_sd"), (_g(f, "production_keys") or 0)
    pauses, revision = _g(f, "pauses_2s") or 0, _g(f, "revision_ratio") or 0.0
    if log_sd is None or keys < t["min_keys"] or log_sd > t["max_iki_log_sd"]:
        return None
    if pauses > t["max_pauses_2s"] or revision > t["max_revision_ratio"]:
        return None
    values = {"iki_log_sd": log_sd, "production_keys": keys, "pauses_2s": pauses, "revision_ratio": revision}
    return values, (
        f"{keys} keys were typed at an almost constant rhythm (log-interval spread {log_sd:.3f}, threshold "
        f"{t['max_iki_log_sd']}) without a pause of 2 s or a correction: the pattern of copying a finished text, "
        f"by hand or by a script, rather than composing one."
    )


def _off_screen_composition(f: dict, t: dict) -> tuple[dict, str] | None:
    absence = _g(f, "absence_before_large_insert_ms")
    if absence is None or absence < t["min_absence_ms"]:
        return None
    size = _g(f, "insertion_after_absence_chars")
    values = {"absence_before_large_insert_ms": absence, "insertion_after_absence_chars": size}
    return values, (
        f"The annotator was away from the editor for {absence / 1000:.0f} s and, on returning, inserted {size} "
        f"characters at once (threshold {t['min_absence_ms'] / 1000:.0f} s): the text may have been written "
        f"elsewhere."
    )


def _implausible_speed(f: dict, t: dict) -> tuple[dict, str] | None:
    kpm, cpm, length = _g(f, "keys_per_minute"), _g(f, "final_chars_per_active_minute"), _g(f, "final_length") or 0
    too_many_keys = kpm is not None and kpm > t["max_keys_per_minute"]
    too_little_time = cpm is not None and length >= t["min_final_length"] and cpm > t["max_chars_per_active_minute"]
    if not (too_many_keys or too_little_time):
        return None
    values = {
        "keys_per_minute": kpm,
        "final_chars_per_active_minute": cpm,
        "final_length": length,
        "active_minutes": _g(f, "active_minutes"),
    }
    reasons = []
    if too_many_keys:
        reasons.append(f"{kpm:.0f} keys per active minute (threshold {t['max_keys_per_minute']:.0f})")
    if too_little_time:
        reasons.append(
            f"{cpm:.0f} characters of final text per active minute (threshold {t['max_chars_per_active_minute']:.0f})"
        )
    return values, f"Faster than a person types: {' and '.join(reasons)}."


def _synthetic_input(f: dict, t: dict) -> tuple[dict, str] | None:
    untrusted = _g(f, "untrusted_events") or 0
    if untrusted < t["min_untrusted"]:
        return None
    values = {"untrusted_events": untrusted, "untrusted_fraction": _g(f, "untrusted_fraction")}
    return values, (
        f"{untrusted} input events were generated by a script rather than by the keyboard or mouse "
        f"(the browser marked them untrusted)."
    )


RULES: dict[str, Callable[[dict, dict], tuple[dict, str] | None]] = {
    "paste_dominant": _paste_dominant,
    "silent_insertion": _silent_insertion,
    "transcription_rhythm": _transcription_rhythm,
    "off_screen_composition": _off_screen_composition,
    "implausible_speed": _implausible_speed,
    "synthetic_input": _synthetic_input,
}


def flags_evaluate(*, features: dict, overrides: Any = None) -> list[dict]:
    """[{"flag", "label", "values", "threshold", "explanation"}] for every flag that fires."""
    fired = []
    for name, thresholds in thresholds_resolve(overrides).items():
        if thresholds is None:
            continue
        outcome = RULES[name](features, thresholds)
        if outcome is None:
            continue
        values, explanation = outcome
        fired.append(
            {
                "flag": name,
                "label": LABELS[name],
                "values": values,
                "threshold": thresholds,
                "explanation": explanation,
            }
        )
    return fired

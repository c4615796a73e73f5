"""The work form <-> result dicts (shapes in annotations/validation.py).

The compare screen shows the two responses as "left" and "right" in a randomised order
(Annotation.left_response); results are always stored in terms of the true "a" / "b".
"""

import math
from dataclasses import dataclass, field

from annotations.inputs import InputError, integer_check
from annotations.models import Annotation, Project
from annotations.validation import length_guidance

STRENGTH_NAMES = {1: "slightly", 2: "clearly", 3: "much"}


def _sides(annotation: Annotation) -> dict[str, str]:
    """Screen side -> true response."""
    left = annotation.left_response or "a"
    return {"left": left, "right": "b" if left == "a" else "a"}


def _preference_from_post(data, name: str, sides: dict[str, str]) -> dict | None:
    choice = (data.get(name) or "").strip()
    if choice == "tie":
        return {"choice": "tie"}
    if choice in sides:
        return {"choice": sides[choice], "strength": optional_integer(data.get(f"{name}-strength"), field=name)}
    return None


def result_from_post(*, project: Project, annotation: Annotation, data) -> dict:
    """The result as the user entered it (not yet validated: result_validate judges it)."""
    if project.kind == Project.Kind.COMPARE:
        sides = _sides(annotation)
        result: dict = {"dimensions": {}}
        for dim in project.comparison_dimensions:
            pref = _preference_from_post(data, f"dim-{dim['key']}", sides)
            if pref is not None:
                result["dimensions"][dim["key"]] = pref
        overall = _preference_from_post(data, "overall", sides)
        if overall is not None:
            result["overall"] = overall
        result["rationale"] = data.get("rationale", "")
        return result
    result = {"text": data.get("text", "")}
    if project.kind == Project.Kind.CLASSIFY:
        if project.multi_label:
            result["labels"] = data.getlist("labels")
        else:
            result["label"] = data.get("label") or None
    return result


def optional_integer(raw, *, field: str) -> int | None:
    """A non-negative whole number within 64 bits, or None for anything else (the validator that
    receives None names the field)."""
    try:
        return integer_check(raw, field=field) if (raw or "").strip() else None
    except InputError:
        return None


def number_from_post(data, name: str, *, integer: bool = False) -> float | int | None:
    """An optional non-negative number filled in by the telemetry module; junk reads as absent."""
    if integer:
        return optional_integer(data.get(name), field=name)
    raw = (data.get(name) or "").strip()
    try:
        value = float(raw)
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return value


def error_slot(key: str) -> str:
    """The element id beside the field a ValidationError key names ("dimensions.accuracy" -> "error-dim-accuracy")."""
    if key.startswith("dimensions."):
        return "error-dim-" + key.split(".", 1)[1]
    return "error-" + key


def screen_errors(*, project: Project, message_dict: dict) -> dict[str, str]:
    """ValidationError.message_dict -> {slot id: message}, worded for the screen (left/right, not A/B)."""
    out = {}
    for key, messages in message_dict.items():
        message = " ".join(messages) if isinstance(messages, list | tuple) else str(messages)
        if project.kind == Project.Kind.COMPARE and message.startswith("Choose A, B or tie"):
            message = "Choose left, right or tie."
        out[error_slot(key)] = message
    return out


def error_slots(*, project: Project) -> list[str]:
    """Every error slot the form has, so an htmx re-validation can clear the stale ones."""
    if project.kind == Project.Kind.COMPARE:
        slots = [error_slot(f"dimensions.{d['key']}") for d in project.comparison_dimensions]
        slots += ["error-dimensions", "error-overall", "error-rationale"]
    elif project.kind == Project.Kind.CLASSIFY:
        slots = ["error-labels" if project.multi_label else "error-label", "error-text"]
    else:
        slots = ["error-text"]
    return [*slots, "error-result"]


@dataclass
class PreferenceRow:
    key: str
    name: str
    description: str
    field: str
    choice: str = ""  # "left" | "right" | "tie" | ""
    strength: int | None = None
    error: str = ""
    shortcut: str = ""
    strengths: list = field(default_factory=lambda: list(STRENGTH_NAMES.items()))


@dataclass
class LabelChoice:
    value: str
    shortcut: str
    checked: bool


def form_state(*, project: Project, annotation: Annotation, result: dict | None, errors: dict[str, str]) -> dict:
    """What the form shows: the values typed or chosen so far (from a draft or a refused submit)."""
    result = result if isinstance(result, dict) else {}
    state: dict = {"errors": errors}
    if project.kind == Project.Kind.COMPARE:
        screen_side = {v: k for k, v in _sides(annotation).items()}  # true response -> screen side
        rows = []
        given = result.get("dimensions") if isinstance(result.get("dimensions"), dict) else {}
        specs = [
            (d["key"], d.get("name") or d["key"], d.get("description", ""), f"dim-{d['key']}", given.get(d["key"]))
            for d in project.comparison_dimensions
        ]
        specs.append(
            ("overall", "Overall", "All things considered, which response is better?", "overall", result.get("overall"))
        )
        for index, (key, name, description, field_name, pref) in enumerate(specs, start=1):
            pref = pref if isinstance(pref, dict) else {}
            choice = pref.get("choice")
            strength = pref.get("strength")
            rows.append(
                PreferenceRow(
                    key=key,
                    name=name,
                    description=description,
                    field=field_name,
                    choice="tie" if choice == "tie" else screen_side.get(choice, ""),
                    strength=strength if strength in STRENGTH_NAMES else None,
                    error=errors.get("error-overall" if key == "overall" else error_slot(f"dimensions.{key}"), ""),
                    shortcut=str(index),
                )
            )
        state["rows"] = rows
        state["rationale"] = result.get("rationale") if isinstance(result.get("rationale"), str) else ""
        state["length"] = length_guidance(project=project, text=state["rationale"])
        return state
    state["text"] = result.get("text") if isinstance(result.get("text"), str) else ""
    state["length"] = length_guidance(project=project, text=state["text"])
    if project.kind == Project.Kind.CLASSIFY:
        chosen = result.get("labels") if project.multi_label else [result.get("label")]
        chosen = chosen if isinstance(chosen, list) else []
        state["labels"] = [
            LabelChoice(value=label, shortcut=str(i) if i <= 9 else "", checked=label in chosen)
            for i, label in enumerate(project.labels, start=1)
        ]
        state["label_error"] = errors.get("error-labels" if project.multi_label else "error-label", "")
    return state

"""Server-side validation of a result against its project's kind.

Raises ValidationError with a message per field ("text", "label", "dimensions.accuracy", ...)
so a screen can show each error beside its field and keep everything else that was typed.

`result_storable_errors` is the part a draft must pass too: a value that cannot be stored or shown
(a lone surrogate, a NUL, NaN or 1e400, an integer past 64 bits, nesting too deep), judged by
annotations.inputs and named by the field it sits in.
"""

from django.core.exceptions import ValidationError

from annotations.inputs import MAX_DEPTH, json_problem, text_problem
from annotations.models import Project

CHOICES = ("a", "b", "tie")
STRENGTHS = {1: "slightly better", 2: "clearly better", 3: "much better"}
MAX_TEXT = 50_000


def _storable(value, *, field: str, depth: int) -> str | None:
    """Why the value of this field cannot be stored or shown, as a sentence naming the field, or None."""
    if isinstance(value, str):
        problem = text_problem(value)
        return f"{field.capitalize()} {problem}." if problem else None
    problem = json_problem(value, max_depth=MAX_DEPTH - depth)
    return f"{field}: {problem}." if problem else None


def result_storable_errors(result: dict) -> dict[str, str]:
    """{field: why it cannot be stored} for a result (or a draft); {} when every value can be.
    Comparison dimensions are named one by one ("dimensions.accuracy"), as the screens show them."""
    errors: dict[str, str] = {}
    for key, value in result.items():
        if not isinstance(key, str) or text_problem(key):
            errors["result"] = "A field name of the result is not text that can be stored."
            continue
        if key == "dimensions" and isinstance(value, dict):
            for dim, pref in value.items():
                if not isinstance(dim, str) or text_problem(dim):
                    errors["dimensions"] = "A dimension name is not text that can be stored."
                    continue
                problem = _storable(pref, field=f"dimensions.{dim}", depth=2)
                if problem:
                    errors[f"dimensions.{dim}"] = problem
            continue
        problem = _storable(value, field=key, depth=1)
        if problem:
            errors[key] = problem
    return errors


def _text(value, *, field: str, required: bool, errors: dict) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = f"{field} must be text."
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = f"{field.capitalize()} is required."
    elif len(value) > MAX_TEXT:
        errors[field] = f"{field.capitalize()} is {len(value)} characters; the limit is {MAX_TEXT}."
    return value


def _preference(value, *, field: str, errors: dict) -> dict | None:
    if not isinstance(value, dict):
        errors[field] = "Choose A, B or tie."
        return None
    choice = value.get("choice")
    if choice not in CHOICES:
        errors[field] = f"Choose A, B or tie (got {choice!r})."
        return None
    if choice == "tie":
        return {"choice": "tie", "strength": 0}
    strength = value.get("strength")
    try:
        strength = int(strength)
    except (TypeError, ValueError, OverflowError):
        strength = None
    if strength not in STRENGTHS:
        errors[field] = "Say how much better: 1 slightly, 2 clearly, 3 much."
        return None
    return {"choice": choice, "strength": strength}


def result_validate(*, project: Project, result) -> dict:
    """Return the clean result, or raise ValidationError naming every bad field."""
    if not isinstance(result, dict):
        raise ValidationError({"result": "The result must be a JSON object."})
    unstorable = result_storable_errors(result)
    if unstorable:  # judged before the kind's rules, which would quote the bad values back
        raise ValidationError(unstorable)
    errors: dict[str, str] = {}
    clean: dict = {}
    if project.kind == Project.Kind.WRITE:
        clean["text"] = _text(result.get("text"), field="text", required=True, errors=errors)
    elif project.kind == Project.Kind.CLASSIFY:
        allowed = list(project.labels)
        if project.multi_label:
            labels = result.get("labels")
            if not isinstance(labels, list) or not labels:
                errors["labels"] = "Choose at least one label."
            elif bad := [x for x in labels if x not in allowed]:
                errors["labels"] = f"Unknown label(s): {', '.join(map(str, bad))}. Allowed: {', '.join(allowed)}."
            else:
                clean["labels"] = [x for x in allowed if x in labels]
        else:
            label = result.get("label")
            if label in (None, ""):
                errors["label"] = "Choose a label."
            elif label not in allowed:
                errors["label"] = f"Unknown label {label!r}. Allowed: {', '.join(allowed)}."
            else:
                clean["label"] = label
        clean["text"] = _text(result.get("text"), field="text", required=project.text_required, errors=errors)
    elif project.kind == Project.Kind.COMPARE:
        given = result.get("dimensions") or {}
        if not isinstance(given, dict):
            errors["dimensions"] = "dimensions must be an object keyed by dimension."
            given = {}
        dims = {}
        for dim in project.comparison_dimensions:
            key = dim["key"]
            pref = _preference(given.get(key), field=f"dimensions.{key}", errors=errors)
            if pref:
                dims[key] = pref
        unknown = set(given) - {d["key"] for d in project.comparison_dimensions}
        if unknown:
            errors["dimensions"] = f"Unknown dimension(s): {', '.join(sorted(unknown))}."
        clean["dimensions"] = dims
        overall = _preference(result.get("overall"), field="overall", errors=errors)
        if overall:
            clean["overall"] = overall
        clean["rationale"] = _text(
            result.get("rationale"), field="rationale", required=project.text_required, errors=errors
        )
    else:  # pragma: no cover - guarded by the model's choices
        errors["result"] = f"Unknown project kind {project.kind!r}."
    if errors:
        raise ValidationError(errors)
    return clean


# --- Length guidance (a warning before submit, never a refusal) ---------------------------


def word_count(text) -> int:
    """Words as the editor counts them (static/js/length.js): runs of non-space characters."""
    return len(text.split()) if isinstance(text, str) else 0


def length_guidance(*, project: Project, text) -> dict | None:
    """What the editor shows beside the free text when the project asks for a length (min/max words,
    0 meaning no bound): {"count", "min", "max", "aim", "words", "outside"}; None when it asks for none.
    `outside` is true when the text is shorter or longer than asked (an empty optional text is not)."""
    low, high = project.min_words or 0, project.max_words or 0
    if not low and not high:
        return None
    count = word_count(text)
    if low and high:
        aim = f"aim for {low}-{high}"
    elif low:
        aim = f"aim for at least {low}"
    else:
        aim = f"aim for at most {high}"
    optional_empty = count == 0 and project.kind != Project.Kind.WRITE and not project.text_required
    outside = not optional_empty and ((low and count < low) or (high and count > high))
    return {
        "count": count,
        "min": low,
        "max": high,
        "aim": aim,
        "words": f"{count} word{'' if count == 1 else 's'} ({aim})",
        "outside": bool(outside),
    }

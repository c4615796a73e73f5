"""One checker per kind of untrusted input, used at every entrance (import, API, screens, telemetry).

Each check either returns the value unchanged or names what is wrong in words a user can act on;
none of them raises anything but `InputError` (a ValueError), whatever it is given:

- `text_problem` / `text_check`: text that cannot be stored or shown (a lone UTF-16 surrogate from
  JSON's "\\ud800", or a NUL character, which PostgreSQL refuses).
- `text_repair` / `json_repair`: text already stored before these checks, made showable (U+FFFD for a
  lone surrogate, NUL dropped).
- `json_problem` / `json_check`: a decoded JSON value that is too deep, holds an integer outside
  64 bits, a non-finite float (NaN, Infinity, 1e400), a non-string key, or bad text anywhere inside.
- `json_loads`: bytes or text -> a checked value, never RecursionError, never NaN, never a 4,300-digit
  integer error.
- `integer_check`: one integer from a query string or form field (`²` passes str.isdigit() but not
  int(); ids past 2**63 overflow every database column).
- `number_check` / `boolean_check`: one finite number or one yes/no from a JSON body, form field or
  command line (`1e400`, `nan` and `'²'` are refused by name; `"true"`/`"false"` are taken from forms).
- `web_url`: a reference URL as it may be linked (http and https only, never javascript: or data:).
"""

import json
import math
import re

MAX_DEPTH = 32  # nesting levels of arrays/objects a payload or result may use
MAX_INT = 2**63 - 1  # the widest integer a database column (and SQLite's JSON) holds
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also accepts '²' and other scripts' digits


class InputError(ValueError):
    """The input cannot be taken; str(exc) says why."""


def text_problem(value: str) -> str | None:
    """Why this text cannot be stored, or None."""
    match = _LONE_SURROGATE.search(value)
    if match:
        return f"contains an unpaired UTF-16 surrogate (U+{ord(match.group()):04X}) at character {match.start() + 1}"
    if "\x00" in value:
        return f"contains a NUL character at character {value.index(chr(0)) + 1}"
    return None


def text_check(value: str, *, field: str) -> str:
    problem = text_problem(value)
    if problem:
        raise InputError(f"{field} {problem}")
    return value


def text_repair(value: str) -> str:
    """Stored text made showable: each lone surrogate becomes U+FFFD, each NUL is dropped (for rows
    kept before text_problem guarded their entrance)."""
    return _LONE_SURROGATE.sub("\ufffd", value).replace("\x00", "") if text_problem(value) else value


def _text_sound(value: str) -> bool:
    return "\x00" not in value and (value.isascii() or not _LONE_SURROGATE.search(value))


def _json_sound(value, max_depth: int) -> bool:
    """The fast yes for what json_problem accepts: exact types, no paths built, text children checked
    in place. Anything it cannot vouch for goes to the walk that names the problem."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is dict or kind is list:
            if depth > max_depth:
                return False
            if kind is dict:
                for key in item:
                    if type(key) is not str or not _text_sound(key):
                        return False
                children = item.values()
            else:
                children = item
            for child in children:
                child_kind = type(child)
                if child_kind is str:
                    if not _text_sound(child):
                        return False
                elif child_kind is int:
                    if not -MAX_INT - 1 <= child <= MAX_INT:
                        return False
                elif child is not None and child_kind is not bool:
                    stack.append((child, depth + 1))
        elif kind is str:
            if not _text_sound(item):
                return False
        elif kind is int:
            if not -MAX_INT - 1 <= item <= MAX_INT:
                return False
        elif kind is float:
            if not math.isfinite(item):
                return False
        elif item is not None and kind is not bool:
            return False
    return True


def json_repair(value):
    """A stored JSON value with every text and key made showable (text_repair); the rest as it was."""
    if isinstance(value, str):
        return text_repair(value)
    if isinstance(value, dict):
        return {text_repair(k) if isinstance(k, str) else k: json_repair(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_repair(v) for v in value]
    return value


def json_problem(value, *, max_depth: int = MAX_DEPTH) -> str | None:
    """Why this decoded JSON value cannot be stored, or None. Walks iteratively (no recursion limit)."""
    return None if _json_sound(value, max_depth) else _json_problem_where(value, max_depth)


def _json_problem_where(value, max_depth: int) -> str | None:
    """The walk that names the first problem and where it is."""
    stack = [(value, 1, "")]
    while stack:
        item, depth, path = stack.pop()
        where = f" at {path}" if path else ""
        if isinstance(item, bool) or item is None:
            continue
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return f"text{where} {problem}"
        elif isinstance(item, int):
            if not -MAX_INT - 1 <= item <= MAX_INT:
                return f"the integer{where} is outside the 64-bit range (±9.2e18)"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"the number{where} is not finite ({item!r})"
        elif isinstance(item, dict | list | tuple):
            if depth > max_depth:
                return f"nested more than {max_depth} levels deep{where}"
            if isinstance(item, dict):
                for key, child in item.items():
                    if not isinstance(key, str):
                        return f"an object key{where} is not text"
                    problem = text_problem(key)
                    if problem:
                        return f"an object key{where} {problem}"
                    stack.append((child, depth + 1, f"{path}.{key}" if path else key))
            else:
                stack.extend((child, depth + 1, f"{path}[{i}]") for i, child in enumerate(item))
        else:
            return f"the value{where} is not JSON ({type(item).__name__})"
    return None


def json_check(value, *, field: str, max_depth: int = MAX_DEPTH):
    problem = json_problem(value, max_depth=max_depth)
    if problem:
        raise InputError(f"{field}: {problem}")
    return value


def _refuse_constant(name: str):
    raise InputError(f"{name} is not a JSON number")


def json_loads(raw: str | bytes, *, max_depth: int = MAX_DEPTH):
    """Decode and check JSON; every failure is an InputError that says what was wrong."""
    if isinstance(raw, bytes | bytearray):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 (byte {exc.start + 1})") from None
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except InputError:
        raise
    except RecursionError:
        raise InputError(f"nested more than {max_depth} levels deep") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except ValueError as exc:  # e.g. "Exceeds the limit (4300 digits) for integer string conversion"
        raise InputError(f"not valid JSON: {exc}") from None
    problem = json_problem(value, max_depth=max_depth)
    if problem:
        raise InputError(problem)
    return value


def integer_check(raw, *, field: str, minimum: int = 0, maximum: int = MAX_INT) -> int:
    """An integer given as text (or already an int) within [minimum, maximum]."""
    if isinstance(raw, bool):
        raise InputError(f"{field} must be a whole number, not {raw!r}.")
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw if raw is not None else "").strip()
        sign = -1 if text.startswith("-") else 1
        digits = text[1:] if text[:1] in "+-" else text
        if not _DIGITS.fullmatch(digits) or len(digits) > 19:
            shown = text if len(text) <= 30 else text[:30] + "…"
            raise InputError(f"{field} must be a whole number, not {shown!r}.")
        value = sign * int(digits)
    if not minimum <= value <= maximum:
        raise InputError(f"{field} must be between {minimum} and {maximum}, not {value}.")
    return value


def references_shown(references) -> list[dict]:
    """A task's reference materials as a screen or client may show them: objects only, and a link only
    to a web address (rows stored before the import checked links are safe too)."""
    shown = []
    for ref in references if isinstance(references, list) else []:
        if isinstance(ref, dict):
            shown.append({**ref, "url": web_url(ref["url"])} if "url" in ref else ref)
    return shown


def web_url(url) -> str:
    """The URL if it is an http(s) address that may be linked, else ''."""
    if not isinstance(url, str):
        return ""
    url = url.strip()
    if text_problem(url) or any(c in url for c in "\r\n\t"):
        return ""
    return url if url.lower().startswith(("https://", "http://")) else ""


_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")  # ASCII only, as _DIGITS
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _shown(raw) -> str:
    text = repr(raw)
    return text if len(text) <= 32 else text[:30] + "…"


def number_check(raw, *, field: str, minimum: float | None = None, maximum: float | None = None) -> float:
    """A finite number given as a JSON number or as text, within [minimum, maximum] when given."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InputError(f"{field} must be a number, not {_shown(raw)}.")
    if isinstance(raw, str) and not _NUMBER.fullmatch(raw.strip()):
        if raw.strip().lower().lstrip("+-") in {"nan", "inf", "infinity"}:
            raise InputError(f"{field} must be a finite number.")
        raise InputError(f"{field} must be a number, not {_shown(raw)}.")
    try:
        value = float(raw)
    except (OverflowError, ValueError):  # an integer too large for a float
        raise InputError(f"{field} must be a finite number.") from None
    if not math.isfinite(value):
        raise InputError(f"{field} must be a finite number.")
    if minimum is not None and maximum is not None and not minimum <= value <= maximum:
        raise InputError(f"{field} must be between {minimum:g} and {maximum:g}, not {value}.")
    if minimum is not None and value < minimum:
        raise InputError(f"{field} must be at least {minimum:g}, not {value}.")
    if maximum is not None and value > maximum:
        raise InputError(f"{field} must be at most {maximum:g}, not {value}.")
    return value


def boolean_check(raw, *, field: str) -> bool:
    """true or false: a JSON boolean, or from a form or command line one of true/false, 1/0, yes/no, on/off."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise InputError(f"{field} must be true or false, not {_shown(raw)}.")

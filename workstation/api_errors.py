"""One error shape for the whole REST API, and a JSON parser that cannot be made to crash.

Every error DRF answers (a refused serializer, a parse error, 401/403/404/405/409/415/429) has the
body documented in the schema as `Errors`:

    {"detail": "scores: Expected a dictionary of items.", "errors": {"scores": ["Expected a dictionary of items."]}}

`detail` is always there and reads on its own; `errors` (field -> list of messages) is there when
the error is about fields. Nested fields are flattened with dots (`result.text`, `rows.2.batch`);
errors that belong to no field are under `non_field_errors`.

The parser decodes bodies with annotations.inputs.json_loads: deep nesting, integers past 64 bits,
NaN / Infinity / 1e400, lone surrogates and NUL characters are a 400 that says what and where,
never a RecursionError or a value the database cannot store.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import exceptions, parsers
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from annotations import inputs

API_PREFIX = "/api/"
NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY
# A body is an envelope (a list of tasks, an object holding a result) around values that may use
# inputs.MAX_DEPTH levels themselves: the services judge each value and name the row or field.
BODY_MAX_DEPTH = inputs.MAX_DEPTH + 2
DETAIL_FIELDS = 5  # fields spelled out in `detail`; the rest are counted


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with every decoded body checked by annotations.inputs."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        raw = stream.read() if stream is not None else b""
        try:
            if encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
                raw = raw.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            raise exceptions.ParseError(f"JSON parse error: the body is not valid {encoding} text.") from None
        try:
            return inputs.json_loads(raw, max_depth=BODY_MAX_DEPTH)
        except inputs.InputError as exc:
            raise exceptions.ParseError(f"JSON parse error: {exc}") from None


def _flatten(value, prefix: str, out: dict[str, list[str]]) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            key = NON_FIELD if key == "__all__" else str(key)
            _flatten(child, f"{prefix}.{key}" if prefix and key != NON_FIELD else (prefix or key), out)
    elif isinstance(value, list | tuple):
        for index, child in enumerate(value):
            if isinstance(child, dict | list | tuple):
                if child:  # a list serializer reports [{}, {"batch": [...]}]: the empty ones were fine
                    _flatten(child, f"{prefix}.{index}" if prefix else str(index), out)
            else:
                out.setdefault(prefix or NON_FIELD, []).append(str(child))
    else:
        out.setdefault(prefix or NON_FIELD, []).append(str(value))


def errors_by_field(data) -> dict[str, list[str]]:
    """A DRF or Django error structure (dict, list, text) -> {dotted field: [messages]}."""
    out: dict[str, list[str]] = {}
    _flatten(data, "", out)
    return out


def detail_from(errors: dict[str, list[str]]) -> str:
    """One sentence-like summary naming each field ("verdict: This field is required.; scores: ...")."""
    parts = [
        " ".join(messages) if field == NON_FIELD else f"{field}: {' '.join(messages)}"
        for field, messages in list(errors.items())[:DETAIL_FIELDS]
    ]
    more = len(errors) - DETAIL_FIELDS
    if more > 0:
        parts.append(f"and {more} more field{'s' if more > 1 else ''} (see errors)")
    return "; ".join(parts) or "The request is not valid."


def error_body(data) -> dict:
    """Any DRF error payload in the documented shape."""
    if isinstance(data, dict) and set(data) <= {"detail", "errors"} and isinstance(data.get("detail"), str):
        return dict(data)
    errors = errors_by_field(data)
    return {"detail": detail_from(errors), "errors": errors}


def _as_api_exception(exc):
    if isinstance(exc, DjangoValidationError):
        # A service's refusal that a view did not catch is still the caller's mistake, not a 500.
        return exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, inputs.InputError):
        return exceptions.ValidationError({NON_FIELD: [str(exc)]})
    return exc


def exception_handler(exc, context):
    """settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]: DRF's handler, then the one error shape."""
    response = drf_exception_handler(_as_api_exception(exc), context)
    if response is not None:
        response.data = error_body(response.data)
    return response


def not_found(request, exception=None):
    """handler404: under /api/ a path no route matches (`/api/projects/abc/`) answers in the error
    shape too; every other page keeps Django's own 404 page."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Not found: no API route matches this path."}, status=404)
    return defaults.page_not_found(request, exception)

"""The API's parsers: text with NUL characters is refused before any view reads it.

PostgreSQL text cannot hold NUL (0x00): a NUL that reached a query or a row would be a 500
(found by the API fuzz). Every JSON body is checked here, keys and values at any depth, and
answered 400 with a message at the path of each bad string, in the house's error format
(common.api.exception_handler): `{"records": {"3": {"system_operator": ["…"]}}}`. Form and
multipart bodies are checked the same way (field names and values; a view such as the register's
reads them without a serializer's CharField). Query strings: common.middleware
.RefuseNulInQueryMiddleware. Uploaded CSV files: common.csv_in.

Set as the default parsers in REST_FRAMEWORK; views that name their parsers use these classes,
and the activation check's lean path (which reads JSON itself) calls `refuse_nul`.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ValidationError

NUL = "\x00"
NUL_MESSAGE = _("Text may not contain NUL characters.")
# JSON cannot carry a raw NUL inside a string (a control character): it is always escaped.
_ESCAPED_NUL = b"\\u0000"
MAX_ERROR_DEPTH = 32


def nul_errors(data) -> dict:
    """The messages for each string holding NUL in `data` (parsed JSON), by path: dict keys as
    they are, list positions as "0", "1", … ({} when there is none).

    Walked with a stack, not recursion: a body nested as deep as the JSON parser allows must get
    its 400, not a RecursionError."""
    errors: dict = {}
    stack = [(data, ())]
    while stack:
        node, path = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            key = str(key)
            if NUL in key or (isinstance(value, str) and NUL in value):
                _put(errors, (*path, key))
            elif isinstance(value, dict | list):
                stack.append((value, (*path, key)))
    return errors


def _put(errors: dict, path: tuple[str, ...]) -> None:
    """The message at `path`; a path deeper than MAX_ERROR_DEPTH ends there (the answer must
    render: a thousand levels of errors would not)."""
    path = path[:MAX_ERROR_DEPTH]
    for key in path[:-1]:
        node = errors.setdefault(key, {})
        if not isinstance(node, dict):  # a message already stands higher on this path
            return
        errors = node
    errors[path[-1]] = [NUL_MESSAGE]


def refuse_nul(data, *, body: bytes | None = None):
    """`data` as it is, or ValidationError (400) naming every string with NUL.

    With the raw `body`, a body without an escaped NUL is not walked (the common case)."""
    if body is not None and _ESCAPED_NUL not in body:
        return data
    if isinstance(data, str):
        if NUL in data:
            raise ValidationError({"non_field_errors": [NUL_MESSAGE]})
        return data
    errors = nul_errors(data)
    if errors:
        raise ValidationError(errors)
    return data


def form_nul_errors(data) -> dict:
    """The messages for each field of a form's QueryDict whose name or a value holds NUL."""
    return {key: [NUL_MESSAGE] for key, values in data.lists() if NUL in key or any(
        isinstance(v, str) and NUL in v for v in values)}


def _refuse_nul_in_form(data):
    """A form's QueryDict as it is, or ValidationError naming each field with NUL."""
    errors = form_nul_errors(data)
    if errors:
        raise ValidationError(errors)
    return data


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing NUL in any string (see the module's docstring)."""

    def parse(self, stream, media_type=None, parser_context=None):
        return refuse_nul(super().parse(stream, media_type, parser_context))


class FormParser(parsers.FormParser):
    """DRF's form parser, refusing NUL in field names and values."""

    def parse(self, stream, media_type=None, parser_context=None):
        return _refuse_nul_in_form(super().parse(stream, media_type, parser_context))


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, refusing NUL in field names and values (files are bytes: unchecked)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        _refuse_nul_in_form(parsed.data)
        return parsed

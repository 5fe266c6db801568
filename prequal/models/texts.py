"""System texts kept as their English msgid and parameters, written in the reader's language when
shown (issue 15): a timeline reason the deadline sweep or an engineer working in Swedish composed
reads in English to an English reader and in Swedish to a Swedish one.

A parameter is data (a code, a legal basis, what a person typed: shown as written), a label
(a model's verbose name or a choice's label, kept in English and translated when shown), another
text, or a list of these (joined with ", "). Stored as JSON: {"t": msgid, "p": {name: value}},
a label as {"t": msgid}, data as a plain string.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation


class Text:
    """A msgid with its parameters (Text("%(spu)s joined %(spg)s.", spu=code, spg=code))."""

    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid = msgid
        self.params = params

    def stored(self) -> dict:
        return {"t": self.msgid, "p": {name: _stored(value) for name, value in self.params.items()}}


def reason_fields(reason: str | Text) -> tuple[str, dict]:
    """(reason, reason_params) of an audit row (CaseEvent): a Text as its msgid and parameters,
    any other reason (a fixed msgid, what a person wrote) as it is."""
    if isinstance(reason, Text):
        stored = reason.stored()
        return stored["t"], stored["p"]
    return reason, {}


def label(lazy_label) -> dict:
    """A translatable label (verbose_name, a choice's label) kept as its English msgid."""
    with translation.override("en"):
        return {"t": str(lazy_label)}


def _stored(value: Any) -> Any:
    if isinstance(value, Text):
        return value.stored()
    if isinstance(value, list):
        return [_stored(v) for v in value]
    if isinstance(value, dict):  # a label()
        return value
    return str(value)


def rendered(value: Any, *, translate: bool = True) -> str:
    """A stored text, label, list or datum written out: in the active language with `translate`,
    else in English (the msgids as they are)."""
    if isinstance(value, list):
        return ", ".join(rendered(v, translate=translate) for v in value)
    if not isinstance(value, dict):
        return str(value)
    text = translation.gettext(value["t"]) if translate else value["t"]
    params = value.get("p")
    if params is None:
        return text
    return text % {name: rendered(v, translate=translate) for name, v in params.items()}

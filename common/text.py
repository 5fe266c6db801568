"""Text people type: length limits for free text, one Unicode form for codes and names.

Free text (reasons, justifications, notes) has a limit on every path — model, form,
serializer — so one oversized reason cannot inflate every answer that repeats it (a 3 MB
limit reason made each activation-check answer 6 MB).

Codes and names are stored in Unicode normal form NFC: "Å" typed as one character or as "A"
plus a combining ring is the same code, stored once, unique either way. Characters that
change how text is shown but are not text are refused: the bidirectional overrides,
embeddings and isolates (U+202A–U+202E, U+2066–U+2069: "Trojan Source" text that reads
differently from what it is) and other control characters.
"""

from __future__ import annotations

import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# A reason: a limit's, a withdrawal's, an event's.
REASON_MAX_LENGTH = 2000
# A decision's reason, justification and explanation; what is missing and what is supplied (R3, R6).
JUSTIFICATION_MAX_LENGTH = 10000

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def bounded_text_field(verbose_name, *, max_length: int, **kwargs) -> models.TextField:
    """A TextField whose limit the model checks too (a TextField's max_length only reaches forms)."""
    return models.TextField(
        verbose_name, max_length=max_length, validators=[MaxLengthValidator(max_length)], **kwargs
    )


def normalize_text(value):
    """The value in NFC, stripped of surrounding white space; anything not a str as it is."""
    if not isinstance(value, str):
        return value
    return unicodedata.normalize("NFC", value).strip()


def validate_plain_text(value) -> None:
    """Refuse bidirectional controls and other control characters (tab and newlines aside)."""
    if not isinstance(value, str):
        return
    for char in value:
        if char in _BIDI_CONTROLS:
            raise ValidationError(
                _("Remove the invisible direction-control character U+%(code)04X: "
                  "it makes the text read differently from what it is."),
                code="bidi_control", params={"code": ord(char)},
            )
        if unicodedata.category(char) == "Cc" and char not in "\t\n\r":
            raise ValidationError(
                _("Remove the control character U+%(code)04X: only printable text is accepted."),
                code="control_character", params={"code": ord(char)},
            )


class NormalizedCharField(models.CharField):
    """A code or name: stored in NFC, compared in NFC, refused with bidi or control characters.

    Normalised when a value is cleaned (forms, full_clean, so the CSV import and the API's
    services) and again whenever a value goes to the database, in a save or a lookup: two
    spellings of "Å" are one code, and a unique constraint holds whatever form was typed.
    """

    default_validators = [validate_plain_text]

    def to_python(self, value):
        return _nfc(super().to_python(value))

    def get_prep_value(self, value):
        return _nfc(super().get_prep_value(value))


def _nfc(value):
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def normalize_stored_rows(model, fields: tuple[str, ...]) -> int:
    """Store `fields` of every row in NFC (a data migration's step); the rows changed.

    Only rows not yet in NFC are written, one by one: they are rare. A row whose normal form
    would collide with another row under a unique constraint is left as it is (both stay
    readable; the next edit of it is refused with the usual "already exists" message).
    """
    changed = 0
    for row in model.objects.values_list("pk", *fields).iterator(chunk_size=2000):
        updates = {
            name: unicodedata.normalize("NFC", value)
            for name, value in zip(fields, row[1:], strict=True)
            if isinstance(value, str) and not unicodedata.is_normalized("NFC", value)
        }
        if not updates:
            continue
        try:
            with transaction.atomic():
                model.objects.filter(pk=row[0]).update(**updates)
        except IntegrityError:
            continue
        changed += 1
    return changed


class CodeOrNameFormField(forms.CharField):
    """A form's code or name: stripped, in NFC, refused with bidi or control characters."""

    default_validators = [validate_plain_text]

    def to_python(self, value):
        return normalize_text(super().to_python(value))


class CodeOrNameSerializerField(serializers.CharField):
    """An API's code or name: stripped, in NFC, refused with bidi or control characters."""

    def __init__(self, **kwargs) -> None:
        kwargs["validators"] = [*kwargs.get("validators", ()), validate_plain_text]
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return normalize_text(super().to_internal_value(data))

"""A decimal in a form, typed the reader's way (issue 15).

The widget stays <input type="number">: the browser takes the reader's decimal comma and sends a
point, and the value is shown back plain ("1234.5") so that the form still submits. A number that
reaches the server as typed (no browser support, a script) is read in the page's language too: on
a Swedish page "1 234,5" and "1234.5", on an English one "1,234.5" and "1234.5". Anything else
("0,5" on an English page, where a comma separates thousands) is refused with an example in the
page's form, never guessed.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import get_format
from django.utils.translation import gettext as _

from common.numbers import reader_number

SPACES = re.compile(r"[\s\u00a0\u202f]")
ENGLISH_GROUPS = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")


def typed_decimal_text(text: str) -> str:
    """`text` with the active language's separators read: the plain form Decimal() takes, or the
    text unchanged when it is not a number in that language (Decimal() then refuses it)."""
    text = SPACES.sub("", text)
    if get_format("DECIMAL_SEPARATOR") == ",":
        return text.replace(",", ".") if "," in text and "." not in text else text
    return text.replace(",", "") if ENGLISH_GROUPS.fullmatch(text) else text


class ReaderDecimalField(forms.DecimalField):
    def to_python(self, value):
        if isinstance(value, str):
            value = typed_decimal_text(value.strip())
        try:
            return super().to_python(value)
        except ValidationError as exc:
            if exc.code != "invalid":
                raise
            raise ValidationError(
                _("Enter a number, such as %(example)s."),
                code="invalid", params={"example": reader_number(Decimal("1234.5"))},
            ) from None

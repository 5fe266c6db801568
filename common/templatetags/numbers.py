"""{{ value|quantity }}: a quantity in the reader's form without trailing zeros ("1 234,5" on a
Swedish page, "1,234.5" on an English one, "0,5" not "0,500"). floatformat:"-3" keeps three
decimals once there is one; texts that read as sentences (e-mails) use this instead."""

from __future__ import annotations

from django import template

from common.numbers import reader_number

register = template.Library()


@register.filter
def quantity(value):
    if value is None or value == "":
        return value
    return reader_number(value)

"""Quantities written into texts: for a reader in the active language, or plain for machines.

A page shows "1 234,5 MW" in Swedish and "1,234.5 MW" in English (settings.USE_THOUSAND_SEPARATOR
and the locale's formats); the REST API, CSV and XLSX keep "1234.5". Templates use Django's
filters (floatformat, {% localize %}); these two are for texts composed in Python.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from django.utils.formats import number_format


def plain_number(value: Decimal | int | float) -> str:
    """ "1234.5": no grouping, a decimal point, no trailing zeros, never an exponent ("1E+3")."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def reader_number(value: Decimal | int | float, decimals: int | None = None) -> str:
    """ "1 234,5" on a Swedish page, "1,234.5" on an English one (the active language); a Decimal
    without its trailing zeros unless `decimals` fixes them."""
    if isinstance(value, Decimal) and decimals is None:
        value = Decimal(plain_number(value))
    return number_format(value, decimals, use_l10n=True)


_FOR_READER: ContextVar[bool] = ContextVar("numbers_for_reader", default=False)


@contextmanager
def numbers_for_reader() -> Iterator[None]:
    """Within it, quantity_text() writes for a reader: a view showing texts the services compose
    (the activation check's reasons on its page) wraps the call; the API does not."""
    token = _FOR_READER.set(True)
    try:
        yield
    finally:
        _FOR_READER.reset(token)


def quantity_text(value: Decimal | int | float) -> str:
    """A quantity inside a composed text (a reason, a message): the reader's form within
    numbers_for_reader(), else the plain form the API has always written."""
    return reader_number(value) if _FOR_READER.get() else plain_number(value)

"""A condition's months and weekdays in the reader's language (issue 15: months and weekdays in
Swedish too), as Django's date format letters M and D write them."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from django.utils import translation

from prequal.models import Condition


def _condition() -> Condition:
    return Condition(max_up_mw=Decimal("2"), months=[1, 12], weekdays=[0, 4],
                     start_time=time(7), end_time=time(9), time_zone="Europe/Stockholm")


def test_months_and_weekdays_in_english():
    with translation.override("en"):
        parts = _condition().describe().split("; ")
    assert parts[1:3] == ["Jan, Dec", "Mon, Fri"]


def test_months_and_weekdays_in_swedish():
    with translation.override("sv"):
        parts = _condition().describe().split("; ")
    assert parts[1:3] == ["Jan, Dec", "mån, fre"]
    with translation.override("sv"):
        parts = Condition(max_up_mw=Decimal("1"), months=[5, 10]).describe().split("; ")
    assert parts[1] == "Maj, Okt"

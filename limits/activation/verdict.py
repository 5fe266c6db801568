"""The activation check's answer: a traffic-light colour, the reasons and the largest allowed quantity."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from limits.activation.access import EVERYTHING, Readable
from limits.models import TemporaryLimit
from prequal.models import Condition

GREEN, YELLOW, RED = "green", "yellow", "red"
_RANK = {GREEN: 0, YELLOW: 1, RED: 2}


@dataclass
class Verdict:
    color: str
    reasons: list[str]
    max_quantity_mw: Decimal
    requested_quantity_mw: Decimal
    direction: str
    case_id: int | None = None
    case_status: str = ""
    conditions: list[Condition] = field(default_factory=list)
    limits: list[TemporaryLimit] = field(default_factory=list)
    # What of the conditions and limits the caller may read in full (limits.activation.access).
    readable: Readable = EVERYTHING
    # A double activation (SPEC R11): the register's refusal of what was asked
    # (register.services.holdings.Refusal, limits.activation.double); None otherwise.
    double: object | None = None

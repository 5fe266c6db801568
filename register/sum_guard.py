"""Limits on a connection point or an area bound the sum held there (SPEC R11): the ingest asks
limits, a layer above the register, through this hand-over (LimitsConfig.ready() hands in
limits.activation.headroom_guard.records_sum_guard, as it hands in register.callers' resolver).

The ingest calls `sum_guard_lock` before it locks its resources: the guard takes the locks of
the point and area limits the batch's records fall under (the same locks a reservation takes,
in the same order) and returns the check to run once the batch is planned: given the batch's
holdings (register.services.holdings.Holding) and the records it revises, the message for each
record that would take the sum over a limit, by index. None: no such limit applies. Without a
guard handed in (limits not installed), no limit is checked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

# A record of the batch: (index, ("spu" | "spg", id), start, end).
Placed = tuple[int, tuple[str, int], datetime, datetime]
SumCheck = Callable[..., dict[int, str]]

_GUARD: list[Callable[..., SumCheck | None]] = []


def sum_guard_set(guard: Callable[..., SumCheck | None]) -> None:
    """Called once by LimitsConfig.ready()."""
    _GUARD[:] = [guard]


def sum_guard_lock(*, records: list[Placed]) -> SumCheck | None:
    """Lock the point and area limits these records fall under; the check to run later, or None."""
    if not _GUARD or not records:
        return None
    return _GUARD[0](records=records)

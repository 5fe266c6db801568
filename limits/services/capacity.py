"""Temporary limits: a limit above its target's capacity has no effect, and says so (issue 13).

Not a refusal: the limit is stored as entered, and the form, the limit's page and the API answer
flag it. The capacity of a target, in the limit's direction (both: the larger of up and down,
since the limit binds nothing only when it exceeds both):
- an SPU: its maximum up or down;
- an SPG: the sum over its members current at the limit's start (or now, if later);
- a connection point: the sum over the active SPUs there;
- an area: not judged (the capacity is None and nothing is flagged).
Only readers of the issuing SO's figures see the flag (limit_capacity_flag_for_user).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import user_roles
from common.numbers import quantity_text
from limits.models import TargetKind, TemporaryLimit
from limits.services.targets import Target, _current_members, limit_target
from prequal.models import Direction, Spu

KW_PER_MW = Decimal(1000)


@dataclass(frozen=True)
class CapacityFlag:
    """The target's capacity in the limit's direction (None: not judged) and whether the limit's
    quantity exceeds it."""

    capacity_mw: Decimal | None
    exceeds: bool

    def warning(self, *, quantity_mw: Decimal) -> str:
        """The message shown with a limit that exceeds its target's capacity; empty otherwise."""
        if not self.exceeds:
            return ""
        return _(
            "%(quantity)s MW is more than the target's capacity of %(capacity)s MW in this direction: "
            "the limit has no effect."
        ) % {"quantity": quantity_text(quantity_mw), "capacity": quantity_text(self.capacity_mw)}


def _spus(*, target: Target, at: datetime) -> list[Spu] | None:
    if target.kind == TargetKind.SPU:
        return [target.spu]
    if target.kind == TargetKind.SPG:
        return [m.spu for m in _current_members(spg=target.spg, at=at)]
    if target.kind == TargetKind.CONNECTION_POINT:
        return list(Spu.objects.filter(connection_point=target.connection_point, is_active=True))
    return None


def target_capacity_mw(*, target: Target, direction: str, at: datetime) -> Decimal | None:
    """The target's capacity in `direction` at `at`, in MW; None for an area."""
    spus = _spus(target=target, at=at)
    if spus is None:
        return None
    up = sum((s.max_up_kw for s in spus), Decimal(0)) / KW_PER_MW
    down = sum((s.max_down_kw for s in spus), Decimal(0)) / KW_PER_MW
    return {Direction.UP: up, Direction.DOWN: down}.get(direction, max(up, down))


def limit_capacity_check(
    *, target: Target, direction: str, quantity_mw: Decimal, start: datetime, now: datetime | None = None
) -> CapacityFlag:
    """Whether a limit of `quantity_mw` on `target` from `start` exceeds the target's capacity."""
    at = max(start, now or timezone.now())
    capacity = target_capacity_mw(target=target, direction=direction, at=at)
    return CapacityFlag(capacity_mw=capacity, exceeds=capacity is not None and quantity_mw > capacity)


def limit_capacity_flag(*, limit: TemporaryLimit, now: datetime | None = None) -> CapacityFlag:
    """limit_capacity_check for a stored limit."""
    return limit_capacity_check(
        target=limit_target(limit), direction=limit.direction, quantity_mw=limit.quantity_mw,
        start=limit.start, now=now,
    )


def limit_capacity_flag_for_user(*, user, limit: TemporaryLimit) -> CapacityFlag | None:
    """limit_capacity_flag for those who read the issuing SO's figures (its members, the NRA, an
    admin); None for anyone else (an FSP: a point's capacity sums other FSPs' units)."""
    roles = user_roles(user=user)
    members = roles.so_engineer_org_ids | roles.so_viewer_org_ids
    if roles.is_nra or roles.is_admin or limit.system_operator.organisation_id in members:
        return limit_capacity_flag(limit=limit)
    return None

"""Temporary limits: the checks before a write (who may write, the target, the values).

Only an engineer of the issuing SO writes its limits (else PermissionDenied). Bad input
raises ValidationError with a message per field and stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import user_roles
from limits.models import TargetKind
from limits.services.capacity import CapacityFlag, limit_capacity_check
from limits.services.rules import Publication, limit_max_days, limit_publication
from limits.services.targets import Target, _current_members, area_geometry_parse, target_check
from observability.models import ConnectionPoint, SystemOperator
from prequal.models import Direction, Spg, Spu

# What a limit says, apart from its target (checked by _check_values).
LIMIT_VALUE_FIELDS = ("direction", "quantity_mw", "start", "end", "reason")


def _require_engineer(*, user, system_operator: SystemOperator) -> None:
    if system_operator.organisation_id not in user_roles(user=user).so_engineer_org_ids:
        raise PermissionDenied


def directions_offered(*, target: Target, at: datetime) -> set[str]:
    """The directions the target's resources offer (an SPU with 0 kW up offers no 'up')."""
    if target.kind == TargetKind.AREA:
        return {Direction.UP, Direction.DOWN}
    if target.kind == TargetKind.SPU:
        spus = [target.spu]
    elif target.kind == TargetKind.SPG:
        spus = [m.spu for m in _current_members(spg=target.spg, at=at)]
    else:
        spus = list(Spu.objects.filter(connection_point=target.connection_point, is_active=True))
    if not spus:
        return {Direction.UP, Direction.DOWN}
    offered = set()
    if any(s.max_up_kw > 0 for s in spus):
        offered.add(Direction.UP)
    if any(s.max_down_kw > 0 for s in spus):
        offered.add(Direction.DOWN)
    return offered


def _check_values(
    *, target: Target | None, direction: str, quantity_mw, start, end, reason: str, now: datetime
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if direction not in Direction.values:
        errors["direction"] = [_("Choose up, down or both.")]
    elif target is not None:
        offered = directions_offered(target=target, at=max(now, start) if start else now)
        wanted = {Direction.UP, Direction.DOWN} if direction == Direction.BOTH else {direction}
        missing = wanted - offered
        if missing:
            errors["direction"] = [
                _("The %(target)s offers no capacity %(dir)s: choose %(offered)s.")
                % {
                    "target": target.description,
                    "dir": " / ".join(sorted(missing)),
                    "offered": " or ".join(sorted(offered)) or "-",
                }
            ]
    if quantity_mw is None or not isinstance(quantity_mw, int | float | Decimal):
        errors["quantity_mw"] = [_("Give the quantity in MW (0 blocks the target).")]
    elif quantity_mw < 0:
        errors["quantity_mw"] = [_("The quantity must be 0 MW or more (0 blocks the target).")]
    if start is None:
        errors["start"] = [_("Give the start.")]
    if end is None:
        errors["end"] = [_("Give the end.")]
    if start is not None and end is not None:
        if end <= start:
            errors["end"] = [_("The end must be after the start.")]
        elif end - start > timedelta(days=limit_max_days()):
            errors["end"] = [
                _(
                    "A temporary limit may last at most %(days)s days; longer restrictions belong in "
                    "grid prequalification."
                )
                % {"days": limit_max_days()}
            ]
    if not (reason or "").strip():
        errors["reason"] = [_("Give the reason for the limit.")]
    return errors


def limit_values_errors(*, direction: str, quantity_mw, start, end, reason: str) -> dict[str, list[str]]:
    """The errors in a limit's values alone (read when its target could not be found)."""
    return _check_values(
        target=None,
        direction=direction,
        quantity_mw=quantity_mw,
        start=start,
        end=end,
        reason=reason,
        now=timezone.now(),
    )


def _prepare(
    *,
    user,
    system_operator: SystemOperator,
    target_kind: str,
    spu: Spu | None,
    spg: Spg | None,
    connection_point: ConnectionPoint | None,
    area,
    values: dict,
    now: datetime,
) -> tuple[Target, Publication]:
    """Check everything about a new limit but the time of publication.

    `values`: the limit's LIMIT_VALUE_FIELDS as entered.
    """
    _require_engineer(user=user, system_operator=system_operator)
    target = None
    errors: dict[str, list[str]] = {}
    objects = {TargetKind.SPU: spu, TargetKind.SPG: spg, TargetKind.CONNECTION_POINT: connection_point}
    if target_kind not in TargetKind.values:
        errors["target_kind"] = [_("Choose the target: an SPU, an SPG, a connection point or an area.")]
    elif target_kind == TargetKind.AREA:
        try:
            target = Target(kind=target_kind, geometry=area_geometry_parse(area))
        except ValidationError as exc:
            errors.update(exc.message_dict)
    elif objects[target_kind] is None:
        errors["target"] = [_("Choose the %(kind)s to limit.") % {"kind": TargetKind(target_kind).label}]
    else:
        target = Target(kind=target_kind, **{target_kind: objects[target_kind]})
    if target is not None and not errors:
        try:
            target = target_check(system_operator=system_operator, target=target, at=now)
        except ValidationError as exc:
            errors.update(exc.message_dict)
            target = None
    errors.update(_check_values(target=target, now=now, **values))
    if errors:
        raise ValidationError(errors)
    return target, limit_publication(target=target, start=values["start"], end=values["end"])


@dataclass(frozen=True)
class LimitPreview:
    publication: Publication
    capacity: CapacityFlag


def limit_preview(*, now: datetime | None = None, **kwargs) -> LimitPreview:
    """The latest allowed publication time for a limit as entered, and whether it exceeds its
    target's capacity (nothing is stored).

    Raises ValidationError for bad input, like limit_create.
    """
    now = now or timezone.now()
    values = {name: kwargs.pop(name) for name in LIMIT_VALUE_FIELDS}
    target, publication = _prepare(now=now, values=values, **kwargs)
    capacity = limit_capacity_check(
        target=target, direction=values["direction"], quantity_mw=Decimal(values["quantity_mw"]),
        start=values["start"], now=now,
    )
    return LimitPreview(publication=publication, capacity=capacity)

"""The activation check in one direction: capacity (an SPU's, or an SPG's members'), conditions, limits."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from common.numbers import quantity_text
from limits.activation.access import Readable
from limits.activation.headroom import headroom_text, limit_cap
from limits.activation.limit_lookup import _in_direction, _limits_on, spu_point
from limits.activation.verdict import GREEN, RED, YELLOW, Verdict
from limits.models import TargetKind, TemporaryLimit
from limits.services import local_time_label
from prequal.models import Condition, Direction

KW_PER_MW = Decimal(1000)


def _mw(kw) -> Decimal:
    return (Decimal(kw) / KW_PER_MW).quantize(Decimal("0.001"))


def _limit_text(limit: TemporaryLimit, tz: str, readable: Readable) -> str:
    values = {
        "id": limit.pk,
        "kind": TargetKind(limit.target_kind).label.lower(),
        "dir": limit.direction,
        "what": (
            _("blocked")
            if limit.quantity_mw == 0
            else _("at most %(mw)s MW") % {"mw": quantity_text(limit.quantity_mw)}
        ),
        "start": local_time_label(limit.start, time_zone=tz),
        "end": local_time_label(limit.effective_end, time_zone=tz),
        "reason": limit.reason,
    }
    if not readable.limit(limit):  # another operator's limit: its effect, not its reason
        return _(
            "a temporary limit of another system operator (%(kind)s, %(dir)s): %(what)s from %(start)s "
            "to %(end)s"
        ) % values
    return _(
        "temporary limit #%(id)s (%(kind)s, %(dir)s): %(what)s from %(start)s to %(end)s – %(reason)s"
    ) % values


def _capacity(
    *, resource, label: str, members, direction: str, limits, tz: str, readable: Readable, sums: dict
):
    """(capacity in MW, the resource's own limits, members' binding limits, reasons).

    An SPU: its capacity, the limits on it or where it lies. An SPG: its members' deliverable
    capacity (each capped by the limits on it, a point or area limit by its headroom), and the
    group's own limits; the members under one point or area limit together deliver at most its
    headroom (limits.activation.headroom).
    """
    if members is None:  # an SPU
        kw = resource.max_up_kw if direction == Direction.UP else resource.max_down_kw
        point_id, lon, lat = spu_point(resource)
        own = _in_direction(
            _limits_on(limits, spu_id=resource.pk, point_id=point_id, lon=lon, lat=lat), direction
        )
        return _mw(kw), own, [], []
    reasons: list[str] = []
    bound_limits: list[TemporaryLimit] = []
    capacity = Decimal(0)
    under_sums: dict[int, Decimal] = {}
    for spu_id, code, up_kw, down_kw, point_id, lon, lat in members:
        member_cap = _mw(up_kw if direction == Direction.UP else down_kw)
        member_limits = _in_direction(
            _limits_on(limits, spu_id=spu_id, point_id=point_id, lon=lon, lat=lat), direction
        )
        deliverable = min([member_cap, *(limit_cap(x, direction, sums) for x in member_limits)])
        capacity += deliverable
        for x in member_limits:
            if (x.pk, direction) in sums:
                under_sums[x.pk] = under_sums.get(x.pk, Decimal(0)) + deliverable
        for x in member_limits:
            if x not in bound_limits:
                bound_limits.append(x)
        if deliverable < member_cap:
            reasons.append(
                _("Member SPU %(code)s can deliver %(mw)s MW of its %(cap)s MW %(dir)s: %(limit)s.")
                % {
                    "code": code,
                    "mw": quantity_text(deliverable),
                    "cap": quantity_text(member_cap),
                    "dir": direction,
                    "limit": "; ".join(_limit_text(x, tz, readable) for x in member_limits),
                }
            )
    for limit_id, under in under_sums.items():  # together at most the headroom
        capacity -= max(under - sums[(limit_id, direction)].mw, Decimal(0))
    if not members:
        reasons.append(_("%(res)s has no member for the whole period.") % {"res": label})
    own = _in_direction(_limits_on(limits, spg_id=resource.pk), direction)
    return capacity, own, bound_limits, reasons


def _apply_conditions(*, conditions, direction: str, allowed: Decimal, readable: Readable):
    """(allowed MW under the conditions, the conditions that bind, reasons)."""
    cap_field = "max_up_mw" if direction == Direction.UP else "max_down_mw"
    bound, reasons = [], []
    for condition in conditions:
        up, down = condition.max_up_mw, condition.max_down_mw
        forbids = up is None and down is None
        cap = Decimal(0) if forbids else getattr(condition, cap_field)
        if cap is None:
            continue
        bound.append(condition)
        allowed = min(allowed, cap)
        reasons.append(
            _condition_text(condition, forbids=forbids, cap=cap, direction=direction, readable=readable)
        )
    return allowed, bound, reasons


def _condition_text(condition: Condition, *, forbids: bool, cap, direction: str, readable: Readable) -> str:
    if not readable.condition(condition):  # another operator's condition: its effect only
        if forbids:
            return _("A condition of another system operator forbids activation in the period.")
        return _("A condition of another system operator allows at most %(mw)s MW %(dir)s in the period.") % {
            "mw": quantity_text(cap),
            "dir": direction,
        }
    values = {"so": _so_name(condition), "text": condition.describe()}
    if forbids:
        return _("Condition of %(so)s forbids activation in the period: %(text)s.") % values
    return _("Condition of %(so)s: %(text)s.") % values


def _color(*, label: str, direction: str, quantity_mw: Decimal, allowed: Decimal, bound: bool):
    """(colour, the reason that leads the answer, or None when green)."""
    if allowed == 0:
        return RED, _("%(res)s cannot be activated %(dir)s in the period: nothing is allowed.") % {
            "res": label,
            "dir": direction,
        }
    if quantity_mw > allowed:
        return YELLOW, _("%(q)s MW %(dir)s is more than the %(max)s MW allowed in the period.") % {
            "q": quantity_text(quantity_mw),
            "dir": direction,
            "max": quantity_text(allowed),
        }
    if bound:
        return YELLOW, _("At most %(max)s MW allowed %(dir)s in the period.") % {
            "dir": direction,
            "max": quantity_text(allowed),
        }
    return GREEN, None


def _check_direction(
    *, resource, label: str, members, direction: str, quantity_mw: Decimal, conditions, limits, tz: str,
    readable: Readable, sums: dict,
) -> Verdict:
    capacity, own, bound_limits, reasons = _capacity(
        resource=resource, label=label, members=members, direction=direction, limits=limits, tz=tz,
        readable=readable, sums=sums,
    )
    allowed, bound_conditions, condition_reasons = _apply_conditions(
        conditions=conditions, direction=direction, allowed=capacity, readable=readable
    )
    reasons += condition_reasons
    for limit in own:
        bound_limits.append(limit)
        allowed = min(allowed, limit_cap(limit, direction, sums))
        reasons.append(_("%(res)s: %(limit)s.") % {"res": label, "limit": _limit_text(limit, tz, readable)})
    reasons += [
        headroom_text(sums[(x.pk, direction)], readable) for x in bound_limits if (x.pk, direction) in sums
    ]
    allowed = max(allowed, Decimal(0))
    color, lead = _color(
        label=label,
        direction=direction,
        quantity_mw=quantity_mw,
        allowed=allowed,
        bound=bool(bound_conditions or bound_limits),
    )
    if lead is not None:
        reasons.insert(0, lead)
    return Verdict(
        color=color,
        reasons=reasons,
        max_quantity_mw=allowed,
        requested_quantity_mw=quantity_mw,
        direction=direction,
        conditions=bound_conditions,
        limits=bound_limits,
    )


def _so_name(condition: Condition) -> str:
    return getattr(condition, "so_name", None) or condition.assessment.system_operator.organisation.name

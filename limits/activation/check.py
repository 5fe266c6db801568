"""The activation check itself (R8): validate the input, find the case, its conditions and the
limits, and combine the answers per direction (the rules: see the package docstring)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from limits.activation.access import EVERYTHING, ActivationCaller
from limits.activation.case_lookup import NOT_PREQUALIFIED, _case_for, _conditions
from limits.activation.direction import _check_direction
from limits.activation.double import Asked, double_activation
from limits.activation.forecast import forecast_congestion_apply
from limits.activation.headroom import Exclude, limits_headroom
from limits.activation.limit_lookup import limits_overlapping, spu_point
from limits.activation.members import spg_members
from limits.activation.time_windows import condition_applies_during
from limits.activation.verdict import _RANK, GREEN, RED, Verdict
from limits.services import local_time_label
from observability.models import SystemOperator
from prequal.models import Case, Direction, Product, Spg, Spu

MAX_CHECK_DAYS = 31
DIRECTIONS = tuple(Direction.values)  # Django's enum `values` is a new list at every read


def activation_check_validate(
    *, resource, product: Product, direction: str, quantity_mw, start, end, members=None
) -> None:
    """Bad input → ValidationError with a message per field (nothing else is looked at)."""
    errors: dict[str, list[str]] = {}
    if direction not in DIRECTIONS:
        errors["direction"] = [_("Choose up, down or both.")]
    else:
        wanted = {Direction.UP, Direction.DOWN} if direction == Direction.BOTH else {direction}
        if product.directions != Direction.BOTH and wanted - {product.directions}:
            errors["direction"] = [
                _("%(product)s is procured only in direction %(dir)s.")
                % {"product": product.label, "dir": product.directions}
            ]
        elif isinstance(resource, Spu):
            offered = {
                d
                for d, kw in ((Direction.UP, resource.max_up_kw), (Direction.DOWN, resource.max_down_kw))
                if kw > 0
            }
            if wanted - offered:
                errors["direction"] = [
                    _("SPU %(code)s offers no capacity %(dir)s.")
                    % {"code": resource.code, "dir": " / ".join(sorted(wanted - offered))}
                ]
    if quantity_mw is None:
        errors["quantity_mw"] = [_("Give the quantity in MW.")]
    elif quantity_mw < 0:
        errors["quantity_mw"] = [_("The quantity must be 0 MW or more.")]
    if start is None:
        errors["start"] = [_("Give the start of the period.")]
    if end is None:
        errors["end"] = [_("Give the end of the period.")]
    elif start is not None:
        if end <= start:
            errors["end"] = [_("The end must be after the start.")]
        elif end - start > timedelta(days=MAX_CHECK_DAYS):
            errors["end"] = [_("Check at most %(days)s days at once.") % {"days": MAX_CHECK_DAYS}]
    if errors:
        raise ValidationError(errors)


def _not_prequalified(
    *, case_row, outcome, label: str, product: Product, quantity_mw, direction: str, end, tz: str
) -> Verdict | None:
    """A red verdict if the resource is not prequalified, or only until before `end`; else None."""
    if outcome is None:
        status = case_row[1] if case_row else None
        return Verdict(
            color=RED,
            reasons=[
                str(NOT_PREQUALIFIED.get(status, NOT_PREQUALIFIED[None]))
                % {"res": label, "product": product.label}
            ],
            max_quantity_mw=Decimal(0),
            requested_quantity_mw=quantity_mw,
            direction=direction,
            case_id=case_row[0] if case_row else None,
            case_status=status or "",
        )
    valid_until = case_row[4]
    if valid_until is not None and valid_until < end:
        return Verdict(
            color=RED,
            reasons=[
                _(
                    "%(res)s is prequalified for %(product)s only until %(until)s, before the end of the "
                    "period."
                )
                % {
                    "res": label,
                    "product": product.label,
                    "until": local_time_label(valid_until, time_zone=tz),
                }
            ],
            max_quantity_mw=Decimal(0),
            requested_quantity_mw=quantity_mw,
            direction=direction,
            case_id=case_row[0],
            case_status=case_row[1],
        )
    return None


def _members_and_limits(*, resource: Spu | Spg, start: datetime, end: datetime, case_row, reassessing: bool):
    """(SPG members that count or None, the limits overlapping the period on the resource or
    where it lies, a reason for each SPG member that does not count)."""
    if isinstance(resource, Spu):
        prefetched = getattr(resource, "prefetched_limits", None)  # access.py's fold: the same read
        if prefetched is not None and prefetched[0] == (start, end):
            return None, prefetched[1], []
        point_id, lon, lat = spu_point(resource)
        limits = limits_overlapping(
            start=start, end=end, spu_ids=[resource.pk], connection_point_ids=[point_id], points=[(lon, lat)]
        )
        return None, limits, []
    members, left_out = spg_members(
        spg=resource, case_row=case_row, reassessing=reassessing, start=start, end=end
    )
    limits = limits_overlapping(
        start=start,
        end=end,
        spu_ids=[m[0] for m in members],
        connection_point_ids=[m[4] for m in members],
        spg_id=resource.pk,
        points=[(m[5], m[6]) for m in members],
    )
    return members, limits, left_out


def _combine(
    *, verdicts: list[Verdict], outcome: str, reassessing: bool, label: str, product: Product,
    case_row, quantity_mw, direction: str,
) -> Verdict:
    """One verdict from the directions' verdicts: the worst colour, every reason once."""
    worst = max(verdicts, key=lambda v: _RANK[v.color])
    reasons, bound_conditions, bound_limits = [], [], []
    for v in verdicts:
        reasons += [r for r in v.reasons if r not in reasons]
        bound_conditions += [c for c in v.conditions if c not in bound_conditions]
        bound_limits += [x for x in v.limits if x not in bound_limits]
    if outcome == Case.Status.CONDITIONALLY_APPROVED and not bound_conditions:
        reasons.append(
            _("%(res)s is conditionally approved for %(product)s; no condition applies in the period.")
            % {"res": label, "product": product.label}
        )
    if reassessing:
        reasons.append(
            _("%(res)s is being re-assessed; the previous outcome holds until the new one.") % {"res": label}
        )
    if worst.color == GREEN:
        reasons.insert(
            0,
            _("%(res)s is prequalified for %(product)s; no condition or limit applies.")
            % {"res": label, "product": product.label},
        )
    return Verdict(
        color=worst.color,
        reasons=reasons,
        max_quantity_mw=min(v.max_quantity_mw for v in verdicts),
        requested_quantity_mw=quantity_mw,
        direction=direction,
        case_id=case_row[0],
        case_status=case_row[1],
        conditions=bound_conditions,
        limits=bound_limits,
    )


def _direction_verdicts(
    *, resource, label: str, members, directions: list[str], quantity_mw, conditions, limits, tz: str,
    readable, start: datetime, end: datetime, sums,
) -> list[Verdict]:
    """One verdict per direction asked ("both": up and down), each bounded by the headroom `sums`
    left under point and area limits (limits.activation.headroom) and with the forecasts' word."""
    verdicts = [
        _check_direction(
            resource=resource, label=label, members=members, direction=d, quantity_mw=quantity_mw,
            conditions=conditions, limits=limits, tz=tz, readable=readable, sums=sums,
        )
        for d in directions
    ]
    forecast_congestion_apply(
        verdicts=verdicts, resource=resource, members=members, start=start, end=end, tz=tz, readable=readable
    )
    return verdicts


def _readable(*, caller: ActivationCaller | None, resource, case_row):
    """What of the answer the caller reads (limits.activation.access); everything without one."""
    if caller is None:
        return EVERYTHING
    return caller.readable(case_assessed=case_row[0] in getattr(resource, "assessed_cases", ()))


def _double_verdict(*, refusal, quantity_mw, direction: str) -> list[Verdict]:
    """[a red verdict naming the first holder] for a double activation (a Refusal), else []."""
    if refusal is None:
        return []
    return [Verdict(color=RED, reasons=[refusal.message], max_quantity_mw=Decimal(0),
                    requested_quantity_mw=quantity_mw, direction=direction)]


def activation_check(
    *, system_operator: SystemOperator, resource: Spu | Spg, product: Product, direction: str, quantity_mw,
    start: datetime, end: datetime, caller: ActivationCaller | None = None, exclude: Exclude | None = None,
    lock: bool = False, asked: Asked | None = None,
) -> Verdict:
    """R8: the traffic light for activating `resource` (see the package docstring for the rules).

    `resource` is an Spu with its connection_point loaded, or an Spg. Raises ValidationError
    for bad input (end before start, negative quantity, a direction the product or the SPU does
    not offer); otherwise returns a Verdict. With `caller` (as found by
    limits.activation.access.activation_resource_for), the reasons name other organisations'
    limits and conditions only where the caller may read them; without, everything is named.

    A limit on a connection point or an area bounds the sum held there (SPEC R11): its headroom
    (limits.activation.headroom) counts what the register holds there but `exclude` (default:
    the resource's own records); `lock` takes the limits' locks first (a reservation). Red for
    a double activation of what is `asked` (SPEC R11: limits.activation.double).
    """
    quantity_mw = Decimal(quantity_mw) if quantity_mw is not None else None
    activation_check_validate(
        resource=resource, product=product, direction=direction, quantity_mw=quantity_mw, start=start, end=end
    )
    tz, label = system_operator.time_zone, f"{type(resource).__name__.upper()} {resource.code}"
    case_row, outcome, reassessing = _case_for(resource=resource, product=product)
    refused = _not_prequalified(
        case_row=case_row, outcome=outcome, label=label, product=product,
        quantity_mw=quantity_mw, direction=direction, end=end, tz=tz,
    )
    if refused is not None:
        return refused
    readable = _readable(caller=caller, resource=resource, case_row=case_row)
    conditions = [
        c for c in (_conditions(case_row=case_row, reassessing=reassessing)
                    if outcome == Case.Status.CONDITIONALLY_APPROVED else [])
        if condition_applies_during(c, start, end)
    ]
    members, limits, left_out = _members_and_limits(
        resource=resource, start=start, end=end, case_row=case_row, reassessing=reassessing
    )
    directions = [Direction.UP, Direction.DOWN] if direction == Direction.BOTH else [direction]
    sums = limits_headroom(limits=limits, directions=directions, start=start, end=end, lock=lock,
                           exclude=exclude or Exclude.of(resource))
    verdicts = _direction_verdicts(
        resource=resource, label=label, members=members, directions=directions, quantity_mw=quantity_mw,
        conditions=conditions, limits=limits, tz=tz, readable=readable, start=start, end=end, sums=sums,
    )
    double = double_activation(asked=asked or Asked(sender_id=None, system_operator_id=system_operator.pk),
                               resource=resource, product=product, label=label, members=members,
                               direction=direction, quantity_mw=quantity_mw, start=start, end=end, lock=lock)
    verdicts = _double_verdict(refusal=double, quantity_mw=quantity_mw, direction=direction) + verdicts
    verdict = _combine(
        verdicts=verdicts, outcome=outcome, reassessing=reassessing, label=label, product=product,
        case_row=case_row, quantity_mw=quantity_mw, direction=direction,
    )
    verdict.readable, verdict.double = readable, double
    verdict.reasons += left_out
    return verdict

"""The activation check, or traffic light (SPEC R8): may SO X activate SPU/SPG Y for product P,
direction D, Q MW, over [start, end)?

- red: the resource is not prequalified for the product (no case, not decided yet, not
  approved, expired, withdrawn, or its validity ends within the period), or something blocks
  it in the period: a limit of 0 MW, a condition time window that forbids the period (a
  condition without caps), or nothing left of the capacity.
- yellow: allowed, but a condition (cap or time window) or a temporary limit applies in the
  period, or the requested quantity is above the largest allowed quantity (which is then
  reported in max_quantity_mw; when that maximum is 0 the answer is red instead).
- green: prequalified, and no condition or limit applies in the period.

The largest allowed quantity, per direction, is the minimum over the period of: the
resource's capacity (SPU: its max up/down; SPG: see below), every condition cap that applies
at some instant of the period, and every temporary limit that overlaps the period on the
resource, its connection point, or an area polygon containing that point. A condition or
limit that applies to only part of the period still bounds the whole period (an activation
must hold throughout). For direction "both" the directions are checked one by one and the
stricter answer wins.

SPG rule: the group delivers what its members can deliver. Each member whose membership
covers the whole period contributes its own capacity, reduced by the limits on that member
(on the SPU, its connection point, or an area containing the point): a member limited to
L MW contributes min(capacity, L), so the group's capacity drops by what that member can no
longer deliver. The group's available capacity is the sum of the contributions; the SPG's own
conditions and limits then cap that sum. Members joining or leaving during the period do not
count.

Speed (SPEC §7): the check runs a handful of indexed queries (the case, its conditions when
the outcome is conditional, the limits in one OR query over partial indexes, and for an SPG
its members); area polygons are parsed once per process and cached.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import shapely
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.db import fetch_all, instance, model_columns
from limits.models import TargetKind, TemporaryLimit
from limits.services import PREQUALIFIED_STATUSES, local_time_label
from observability.models import ConnectionPoint, SystemOperator
from prequal.models import Case, Condition, Direction, Product, Spg, Spu

GREEN, YELLOW, RED = "green", "yellow", "red"
_RANK = {GREEN: 0, YELLOW: 1, RED: 2}
MAX_CHECK_DAYS = 31
KW_PER_MW = Decimal(1000)


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


# --- time windows (R10) ---------------------------------------------------------------------


def _offset_changes(zone: zoneinfo.ZoneInfo, lo: datetime, hi: datetime) -> list[datetime]:
    """Instants in [lo, hi) where the zone's UTC offset changes (found on 15-minute UTC steps)."""
    step = timedelta(minutes=15)
    seconds = int(lo.timestamp())
    at = datetime.fromtimestamp(seconds - seconds % 900, tz=UTC)
    previous = at.astimezone(zone).utcoffset()
    changes = []
    while at < hi:
        at += step
        offset = at.astimezone(zone).utcoffset()
        if offset != previous:
            changes.append(at)
            previous = offset
    return changes


def condition_applies_during(condition: Condition, start: datetime, end: datetime) -> bool:
    """Whether the condition binds at some instant of [start, end), judged in its local time.

    `Condition.applies_at` is constant between the instants where the local date, the window's
    clock times, the validity or the UTC offset change, so it is evaluated at the period's start
    and at each such instant inside the period: exact, and right across DST changes.
    """
    lo = max(start, condition.valid_from) if condition.valid_from else start
    hi = min(end, condition.valid_to) if condition.valid_to else end
    if lo >= hi:
        return False
    if not condition.months and not condition.weekdays and condition.start_time is None:
        return True
    zone = zoneinfo.ZoneInfo(condition.time_zone)
    candidates = {lo}
    clock_times = {time(0, 0)}
    if condition.start_time is not None:
        clock_times |= {condition.start_time, condition.end_time}
    first: date = lo.astimezone(zone).date() - timedelta(days=1)
    last: date = hi.astimezone(zone).date() + timedelta(days=1)
    day = first
    while day <= last:
        for clock in clock_times:
            for fold in (0, 1):
                at = datetime.combine(day, clock, tzinfo=zone).replace(fold=fold).astimezone(UTC)
                if lo <= at < hi:
                    candidates.add(at)
        day += timedelta(days=1)
    candidates.update(_offset_changes(zone, lo, hi))
    return any(condition.applies_at(at) for at in sorted(candidates))


# --- limits ----------------------------------------------------------------------------------

_area_cache: dict[int, tuple[datetime, object]] = {}


def _area_geometry(limit: TemporaryLimit):
    """The limit's area as a prepared shapely geometry, parsed once per process and change.

    The hot query leaves `area_geojson` out (polygons of thousands of vertices); it is read
    only when this process has not parsed this version of the area yet.
    """
    cached = _area_cache.get(limit.pk)
    if cached is not None and cached[0] == limit.updated_at:
        return cached[1]
    geometry = shapely.from_geojson(limit.area_geojson)  # a deferred field: one query
    shapely.prepare(geometry)
    if len(_area_cache) > 50_000:
        _area_cache.clear()
    _area_cache[limit.pk] = (limit.updated_at, geometry)
    return geometry


_LIMIT_FIELDS = (
    "id", "system_operator_id", "target_kind", "spu_id", "spg_id", "connection_point_id", "direction",
    "quantity_mw", "start", "end", "reason", "updated_at", "lifted_at",
)  # in TemporaryLimit's field order (Model.from_db takes them so)
_LIMIT_COLUMNS = ", ".join(f'"{name}"' for name in _LIMIT_FIELDS)


def limits_overlapping(
    *,
    start: datetime,
    end: datetime,
    spu_ids=(),
    connection_point_ids=(),
    spg_id: int | None = None,
    points: list[tuple[float, float]] = (),
) -> list[TemporaryLimit]:
    """Every limit overlapping [start, end) on these SPUs, points, SPG, or an area covering a point.

    One prepared statement: an OR over the partial indexes on (spu, end), (connection_point,
    end), (spg, end) and, for the area limits, on PostgreSQL the GiST index on (bounding box,
    period) (migration limits/0002) once per point, elsewhere the B-tree on (end, min_lon) with
    the points' bounding box; an area counts when its polygon contains a point (_limits_on).
    The limits come without `area_geojson` (deferred; see _area_geometry).
    """
    scope, params = [], []
    if spu_ids:
        scope.append(f"spu_id IN ({', '.join(['%s'] * len(spu_ids))})")
        params += list(spu_ids)
    if connection_point_ids:
        scope.append(f"connection_point_id IN ({', '.join(['%s'] * len(connection_point_ids))})")
        params += list(connection_point_ids)
    if spg_id is not None:
        scope.append("spg_id = %s")
        params.append(spg_id)
    if points:
        if connection.vendor == "postgresql":  # the GiST index limit_area_box_period, per point
            for lon, lat in dict.fromkeys(points):
                scope.append(
                    "(target_kind = 'area' AND box(point(min_lon, min_lat), point(max_lon, max_lat)) "
                    '&& box(point(%s, %s), point(%s, %s)) AND tstzrange(start, "end") && tstzrange(%s, %s))'
                )  # (box && box is what box_ops indexes; box @> point is not)
                params += [lon, lat, lon, lat, start, end]
        else:
            lons = [p[0] for p in points]
            lats = [p[1] for p in points]
            scope.append(
                "(target_kind = 'area' AND min_lon <= %s AND max_lon >= %s "
                "AND min_lat <= %s AND max_lat >= %s)"
            )
            params += [max(lons), min(lons), max(lats), min(lats)]
    if not scope:
        return []
    sql = (
        f"SELECT {_LIMIT_COLUMNS} FROM limits_temporarylimit "
        f'WHERE ({" OR ".join(scope)}) AND "end" > %s AND start < %s '
        "AND (lifted_at IS NULL OR (lifted_at > %s AND lifted_at > start)) "
        "ORDER BY quantity_mw, start, id"
    )
    rows = fetch_all(sql, [*params, start, end, start], columns=model_columns(TemporaryLimit, _LIMIT_FIELDS))
    return [instance(TemporaryLimit, _LIMIT_FIELDS, row) for row in rows]


def _limits_on(
    limits, *, spu_id=None, point_id=None, lon=None, lat=None, spg_id=None
) -> list[TemporaryLimit]:
    """The limits of `limits` that apply to one SPU (its point, an area around it) or an SPG."""
    found = []
    for limit in limits:
        kind = limit.target_kind
        if kind == TargetKind.SPU and spu_id is not None and limit.spu_id == spu_id:
            found.append(limit)
        elif (
            kind == TargetKind.CONNECTION_POINT
            and point_id is not None
            and limit.connection_point_id == point_id
        ):
            found.append(limit)
        elif kind == TargetKind.SPG and spg_id is not None and limit.spg_id == spg_id:
            found.append(limit)
        elif kind == TargetKind.AREA and lon is not None:
            if shapely.intersects_xy(_area_geometry(limit), lon, lat):
                found.append(limit)
    return found


def _in_direction(limits, direction: str) -> list[TemporaryLimit]:
    return [limit for limit in limits if limit.direction in (direction, Direction.BOTH)]


# --- prequalification ------------------------------------------------------------------------


def _case_for(*, resource, product: Product):
    """The case whose outcome holds (or, if none, the newest one to explain the refusal).

    Returns (row, outcome, reassessing); row is (id, status, round, previous_outcome, valid_until).
    """
    prefetched = getattr(resource, "prefetched_cases", None)
    if prefetched is not None and prefetched[0] == product.pk:
        return _pick_case(prefetched[1])
    column = "spu_id" if isinstance(resource, Spu) else "spg_id"
    rows = fetch_all(
        f"SELECT id, status, round, previous_outcome, valid_until FROM prequal_case "
        f"WHERE {column} = %s AND product_id = %s ORDER BY id DESC LIMIT 20",
        [resource.pk, product.pk],
        columns=model_columns(Case, ("id", "status", "round", "previous_outcome", "valid_until")),
    )
    return _pick_case([(pk, st, rnd, prev or "", until) for pk, st, rnd, prev, until in rows])


def _pick_case(rows: list[tuple]):
    for row in rows:
        pk, status, round_, previous, valid_until = row
        if status in PREQUALIFIED_STATUSES:
            return row, status, False
        if status == Case.Status.UNDER_ASSESSMENT and previous in PREQUALIFIED_STATUSES:
            return row, previous, True
    return (rows[0] if rows else None), None, False


def _conditions(*, case_row, reassessing: bool) -> list[Condition]:
    """The conditions of the round whose outcome holds, each with `so_id`, `so_name`, `round_`."""
    pk, _status, round_, _previous, _valid = case_row
    fields = tuple(f.attname for f in Condition._meta.concrete_fields)
    rows = fetch_all(
        f"SELECT {', '.join(f'c.{name}' for name in fields)}, a.round, a.system_operator_id, o.name "
        "FROM prequal_condition c JOIN prequal_assessment a ON a.id = c.assessment_id "
        "JOIN observability_systemoperator so ON so.id = a.system_operator_id "
        "JOIN accounts_organisation o ON o.id = so.organisation_id "
        "WHERE a.case_id = %s AND a.round <= %s ORDER BY c.id",
        [pk, round_],
        columns=model_columns(Condition, fields),
    )
    conditions = []
    for row in rows:
        condition = instance(Condition, fields, row[: len(fields)])
        condition.round_, condition.so_id, condition.so_name = row[len(fields) :]
        conditions.append(condition)
    if not reassessing:
        return [c for c in conditions if c.round_ == round_]
    # Re-assessment: the conditions of the latest earlier round that reached the outcome.
    earlier = [c for c in conditions if c.round_ < round_]
    if not earlier:
        return []
    last = max(c.round_ for c in earlier)
    return [c for c in earlier if c.round_ == last]


# Lazy: built at import, translated in the language of each answer.
NOT_PREQUALIFIED = {
    None: gettext_lazy("%(res)s is not prequalified for %(product)s: there is no application."),
    Case.Status.DRAFT: gettext_lazy(
        "%(res)s is not prequalified for %(product)s: the application is a draft."
    ),
    Case.Status.SUBMITTED: gettext_lazy(
        "%(res)s is not prequalified for %(product)s yet: the application is not decided."
    ),
    Case.Status.UNDER_ASSESSMENT: gettext_lazy(
        "%(res)s is not prequalified for %(product)s yet: the application is under assessment."
    ),
    Case.Status.NOT_APPROVED: gettext_lazy(
        "%(res)s is not prequalified for %(product)s: the application was not approved."
    ),
    Case.Status.WITHDRAWN: gettext_lazy(
        "%(res)s is not prequalified for %(product)s: the application was withdrawn."
    ),
    Case.Status.EXPIRED: gettext_lazy(
        "%(res)s is not prequalified for %(product)s: the prequalification expired."
    ),
}


# --- the check -------------------------------------------------------------------------------


def _mw(kw) -> Decimal:
    return (Decimal(kw) / KW_PER_MW).quantize(Decimal("0.001"))


def activation_check_validate(
    *, resource, product: Product, direction: str, quantity_mw, start, end, members=None
) -> None:
    """Bad input → ValidationError with a message per field (nothing else is looked at)."""
    errors: dict[str, list[str]] = {}
    if direction not in Direction.values:
        errors["direction"] = [_("Choose up, down or both.")]
    else:
        wanted = {Direction.UP, Direction.DOWN} if direction == Direction.BOTH else {direction}
        if product.directions != Direction.BOTH and wanted - {product.directions}:
            errors["direction"] = [
                _("%(product)s is procured only in direction %(dir)s.")
                % {"product": product.name, "dir": product.directions}
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


def activation_check(
    *,
    system_operator: SystemOperator,
    resource: Spu | Spg,
    product: Product,
    direction: str,
    quantity_mw,
    start: datetime,
    end: datetime,
) -> Verdict:
    """R8: the traffic light for activating `resource` (see the module docstring for the rules).

    `resource` is an Spu with its connection_point loaded, or an Spg. Raises ValidationError
    for bad input (end before start, negative quantity, a direction the product or the SPU does
    not offer); otherwise returns a Verdict.
    """
    quantity_mw = Decimal(quantity_mw) if quantity_mw is not None else None
    activation_check_validate(
        resource=resource, product=product, direction=direction, quantity_mw=quantity_mw, start=start, end=end
    )
    tz = system_operator.time_zone
    label = f"SPU {resource.code}" if isinstance(resource, Spu) else f"SPG {resource.code}"
    case_row, outcome, reassessing = _case_for(resource=resource, product=product)
    if outcome is None:
        status = case_row[1] if case_row else None
        return Verdict(
            color=RED,
            reasons=[
                str(NOT_PREQUALIFIED.get(status, NOT_PREQUALIFIED[None]))
                % {"res": label, "product": product.name}
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
                    "product": product.name,
                    "until": local_time_label(valid_until, time_zone=tz),
                }
            ],
            max_quantity_mw=Decimal(0),
            requested_quantity_mw=quantity_mw,
            direction=direction,
            case_id=case_row[0],
            case_status=case_row[1],
        )
    conditions = (
        _conditions(case_row=case_row, reassessing=reassessing)
        if outcome == Case.Status.CONDITIONALLY_APPROVED
        else []
    )
    conditions = [c for c in conditions if condition_applies_during(c, start, end)]
    if isinstance(resource, Spu):
        point_id, lon, lat = spu_point(resource)
        members = None
        limits = limits_overlapping(
            start=start, end=end, spu_ids=[resource.pk], connection_point_ids=[point_id], points=[(lon, lat)]
        )
    else:
        members = fetch_all(  # (id, code, max up kW, max down kW, point id, lon, lat)
            "SELECT s.id, s.code, s.max_up_kw, s.max_down_kw, s.connection_point_id, cp.longitude, "
            "cp.latitude FROM prequal_spgmembership m "
            "JOIN prequal_spu s ON s.id = m.spu_id "
            "JOIN observability_connectionpoint cp ON cp.id = s.connection_point_id "
            "WHERE m.spg_id = %s AND m.valid_from <= %s AND (m.valid_to IS NULL OR m.valid_to >= %s) "
            "AND s.is_active ORDER BY s.id",
            [resource.pk, start, end],
            columns=(
                *model_columns(Spu, ("id", "code", "max_up_kw", "max_down_kw", "connection_point_id")),
                *model_columns(ConnectionPoint, ("longitude", "latitude")),
            ),
        )
        limits = limits_overlapping(
            start=start,
            end=end,
            spu_ids=[m[0] for m in members],
            connection_point_ids=[m[4] for m in members],
            spg_id=resource.pk,
            points=[(m[5], m[6]) for m in members],
        )
    directions = [Direction.UP, Direction.DOWN] if direction == Direction.BOTH else [direction]
    verdicts = [
        _check_direction(
            resource=resource,
            label=label,
            members=members,
            direction=d,
            quantity_mw=quantity_mw,
            conditions=conditions,
            limits=limits,
            tz=tz,
        )
        for d in directions
    ]
    worst = max(verdicts, key=lambda v: _RANK[v.color])
    reasons, bound_conditions, bound_limits = [], [], []
    for v in verdicts:
        reasons += [r for r in v.reasons if r not in reasons]
        bound_conditions += [c for c in v.conditions if c not in bound_conditions]
        bound_limits += [x for x in v.limits if x not in bound_limits]
    if outcome == Case.Status.CONDITIONALLY_APPROVED and not bound_conditions:
        reasons.append(
            _("%(res)s is conditionally approved for %(product)s; no condition applies in the period.")
            % {"res": label, "product": product.name}
        )
    if reassessing:
        reasons.append(
            _("%(res)s is being re-assessed; the previous outcome holds until the new one.") % {"res": label}
        )
    if worst.color == GREEN:
        reasons.insert(
            0,
            _("%(res)s is prequalified for %(product)s; no condition or limit applies.")
            % {"res": label, "product": product.name},
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


def _limit_text(limit: TemporaryLimit, tz: str) -> str:
    what = (
        _("blocked")
        if limit.quantity_mw == 0
        else _("at most %(mw)s MW") % {"mw": limit.quantity_mw.normalize()}
    )
    return _(
        "temporary limit #%(id)s (%(kind)s, %(dir)s): %(what)s from %(start)s to %(end)s – %(reason)s"
    ) % {
        "id": limit.pk,
        "kind": TargetKind(limit.target_kind).label.lower(),
        "dir": limit.direction,
        "what": what,
        "start": local_time_label(limit.start, time_zone=tz),
        "end": local_time_label(limit.effective_end, time_zone=tz),
        "reason": limit.reason,
    }


def _check_direction(
    *, resource, label: str, members, direction: str, quantity_mw: Decimal, conditions, limits, tz: str
) -> Verdict:
    reasons: list[str] = []
    bound_limits: list[TemporaryLimit] = []
    cap_field = "max_up_mw" if direction == Direction.UP else "max_down_mw"
    if members is None:  # an SPU
        kw = resource.max_up_kw if direction == Direction.UP else resource.max_down_kw
        capacity = _mw(kw)
        point_id, lon, lat = spu_point(resource)
        own = _in_direction(
            _limits_on(limits, spu_id=resource.pk, point_id=point_id, lon=lon, lat=lat), direction
        )
    else:  # an SPG: members' deliverable capacity, then the group's own limits
        capacity = Decimal(0)
        for spu_id, code, up_kw, down_kw, point_id, lon, lat in members:
            member_cap = _mw(up_kw if direction == Direction.UP else down_kw)
            member_limits = _in_direction(
                _limits_on(limits, spu_id=spu_id, point_id=point_id, lon=lon, lat=lat), direction
            )
            deliverable = min([member_cap, *(x.quantity_mw for x in member_limits)])
            capacity += deliverable
            for x in member_limits:
                if x not in bound_limits:
                    bound_limits.append(x)
            if deliverable < member_cap:
                reasons.append(
                    _("Member SPU %(code)s can deliver %(mw)s MW of its %(cap)s MW %(dir)s: %(limit)s.")
                    % {
                        "code": code,
                        "mw": deliverable.normalize(),
                        "cap": member_cap.normalize(),
                        "dir": direction,
                        "limit": "; ".join(_limit_text(x, tz) for x in member_limits),
                    }
                )
        if not members:
            reasons.append(_("%(res)s has no member for the whole period.") % {"res": label})
        own = _in_direction(_limits_on(limits, spg_id=resource.pk), direction)
    allowed = capacity
    bound_conditions = []
    for condition in conditions:
        up, down = condition.max_up_mw, condition.max_down_mw
        if up is None and down is None:
            bound_conditions.append(condition)
            allowed = Decimal(0)
            reasons.append(
                _("Condition of %(so)s forbids activation in the period: %(text)s.")
                % {"so": _so_name(condition), "text": condition.describe()}
            )
            continue
        cap = getattr(condition, cap_field)
        if cap is None:
            continue
        bound_conditions.append(condition)
        allowed = min(allowed, cap)
        reasons.append(
            _("Condition of %(so)s: %(text)s.") % {"so": _so_name(condition), "text": condition.describe()}
        )
    for limit in own:
        bound_limits.append(limit)
        allowed = min(allowed, limit.quantity_mw)
        reasons.append(_("%(res)s: %(limit)s.") % {"res": label, "limit": _limit_text(limit, tz)})
    allowed = max(allowed, Decimal(0))
    if allowed == 0:
        color = RED
        reasons.insert(
            0,
            _("%(res)s cannot be activated %(dir)s in the period: nothing is allowed.")
            % {"res": label, "dir": direction},
        )
    elif quantity_mw > allowed:
        color = YELLOW
        reasons.insert(
            0,
            _("%(q)s MW %(dir)s is more than the %(max)s MW allowed in the period.")
            % {"q": quantity_mw.normalize(), "dir": direction, "max": allowed.normalize()},
        )
    elif bound_conditions or bound_limits:
        color = YELLOW
        reasons.insert(
            0,
            _("Allowed %(dir)s up to %(max)s MW in the period.")
            % {"dir": direction, "max": allowed.normalize()},
        )
    else:
        color = GREEN
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


def spu_point(spu: Spu) -> tuple[int, float, float]:
    """(point id, lon, lat) of an SPU: from the columns the fast selector joins, else the relation."""
    if hasattr(spu, "cp_lon"):
        return spu.connection_point_id, spu.cp_lon, spu.cp_lat
    cp = spu.connection_point
    return cp.pk, cp.longitude, cp.latitude

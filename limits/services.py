"""Temporary limits (SPEC R7): every write, and the publication rule.

Rules:
- Only an engineer of the issuing SO writes its limits (else PermissionDenied).
- The target must lie in the SO's grid: a connection point it connects or whose location lies
  in its current observability area; an SPU at such a point; an SPG with a current member at
  such a point; a polygon intersecting its current observability area (stored clipped to it).
- Publication (R7): the latest allowed publication time is, for every product the target is
  prequalified for, the delivery start of the first market time unit the limit affects minus
  the product's gate closure minus 60 minutes; the earliest across products binds. With
  nothing prequalified, 1 hour before the start. A late limit is refused (and the refusal is
  recorded for the annual report); a limit longer than GRIDPREQUAL_LIMIT_MAX_DAYS is refused.
- A change that tightens a limit (less MW, a wider direction, an earlier start) is published
  anew: the rule applies from its (new) start; extending the end applies from the old end.
  Relaxing a limit (more MW, a shorter period) and lifting are always allowed.

Bad input raises ValidationError with a message per field and stores nothing. Notifications
to the FSPs concerned go out after commit.
"""

from __future__ import annotations

import json
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import shapely
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import user_roles
from limits.models import LimitConcern, LimitEvent, LimitRefusal, TargetKind, TemporaryLimit
from observability.models import ConnectionPoint, ObservabilityArea, SystemOperator
from observability.resolver import area_hits_for_coordinates
from prequal.models import Case, Direction, Fsp, Product, Spg, SpgMembership, Spu

PUBLICATION_MARGIN = timedelta(hours=1)
PREQUALIFIED_STATUSES = (Case.Status.APPROVED, Case.Status.CONDITIONALLY_APPROVED)


def limit_max_days() -> int:
    return int(getattr(settings, "GRIDPREQUAL_LIMIT_MAX_DAYS", 7))


def prequalified_q(prefix: str = "") -> Q:
    """Cases whose outcome allows activation: decided approved, or re-assessed after one."""
    return Q(**{f"{prefix}status__in": PREQUALIFIED_STATUSES}) | Q(
        **{
            f"{prefix}status": Case.Status.UNDER_ASSESSMENT,
            f"{prefix}previous_outcome__in": PREQUALIFIED_STATUSES,
        }
    )


def local_time_label(at: datetime, *, time_zone: str) -> str:
    """`at` as the SO's local wall-clock time, e.g. "2026-03-29 08:15 CEST"."""
    return at.astimezone(zoneinfo.ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M:%S %Z").replace(":00 ", " ")


# --- targets -------------------------------------------------------------------------------


@dataclass
class Target:
    kind: str
    spu: Spu | None = None
    spg: Spg | None = None
    connection_point: ConnectionPoint | None = None
    geometry: object | None = None  # shapely (Multi)Polygon, WGS84

    @property
    def description(self) -> str:
        if self.kind == TargetKind.SPU:
            return f"SPU {self.spu.code}"
        if self.kind == TargetKind.SPG:
            return f"SPG {self.spg.code}"
        if self.kind == TargetKind.CONNECTION_POINT:
            return f"CP {self.connection_point.gsrn}"
        minx, miny, maxx, maxy = self.geometry.bounds
        return f"area {minx:.4f},{miny:.4f},{maxx:.4f},{maxy:.4f}"

    @property
    def target_id(self) -> int | None:
        obj = {
            TargetKind.SPU: self.spu,
            TargetKind.SPG: self.spg,
            TargetKind.CONNECTION_POINT: self.connection_point,
        }.get(self.kind)
        return obj.pk if obj is not None else None


def area_geometry_parse(value) -> object:
    """A WGS84 (Multi)Polygon from GeoJSON text or a dict (geometry, Feature or FeatureCollection).

    Raises ValidationError on the field "area" with what is wrong.
    """
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationError(
                {"area": _("The area is not valid GeoJSON (%(error)s).") % {"error": exc}}
            ) from exc
    if not isinstance(value, dict):
        raise ValidationError({"area": _("Give the area as a GeoJSON Polygon or MultiPolygon.")})
    kind = value.get("type")
    if kind == "FeatureCollection":
        geometries = [f.get("geometry") for f in value.get("features") or [] if isinstance(f, dict)]
    elif kind == "Feature":
        geometries = [value.get("geometry")]
    else:
        geometries = [value]
    shapes = []
    for geometry in geometries:
        if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise ValidationError(
                {"area": _("The area must be a Polygon or MultiPolygon (WGS84 longitude, latitude).")}
            )
        try:
            shapes.append(shapely.from_geojson(json.dumps(geometry)))
        except shapely.errors.GEOSException as exc:
            raise ValidationError(
                {"area": _("The area's geometry cannot be read (%(error)s).") % {"error": exc}}
            ) from exc
    if not shapes:
        raise ValidationError({"area": _("The area is empty: draw or upload a polygon.")})
    shape = shapely.union_all(shapes)
    if shape.is_empty or not shape.is_valid:
        raise ValidationError(
            {
                "area": _("The area is not a valid polygon (%(reason)s).")
                % {"reason": shapely.is_valid_reason(shape)}
            }
        )
    minx, miny, maxx, maxy = shape.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise ValidationError(
            {"area": _("The area's coordinates are not WGS84 longitude/latitude (EPSG:4326).")}
        )
    return shape


def current_area_geometry(*, system_operator: SystemOperator, at: datetime | None = None):
    area = ObservabilityArea.objects.current(at=at).filter(system_operator=system_operator).first()
    return area.geometry if area is not None else None


def point_in_grid(
    *, system_operator: SystemOperator, point: ConnectionPoint, at: datetime | None = None
) -> bool:
    """The SO connects the point, or the point lies in its current observability area."""
    if point.connecting_so_id == system_operator.pk:
        return True
    hits = area_hits_for_coordinates(lon=[point.longitude], lat=[point.latitude], at=at)
    return int(system_operator.pk) in {int(s) for s in hits.system_operator_id}


def _not_in_grid(kind: str) -> ValidationError:
    return ValidationError(
        {
            "target": _(
                "This %(kind)s is not on your grid: you may set limits only on connection points your "
                "operator connects or that lie in its observability area, and on units and groups there."
            )
            % {"kind": TargetKind(kind).label.lower()}
        }
    )


def target_check(*, system_operator: SystemOperator, target: Target, at: datetime) -> Target:
    """Refuse a target outside the SO's grid; clip an area to the SO's observability area."""
    if target.kind == TargetKind.CONNECTION_POINT:
        if not point_in_grid(system_operator=system_operator, point=target.connection_point, at=at):
            raise _not_in_grid(target.kind)
    elif target.kind == TargetKind.SPU:
        if not point_in_grid(system_operator=system_operator, point=target.spu.connection_point, at=at):
            raise _not_in_grid(target.kind)
    elif target.kind == TargetKind.SPG:
        points = [m.spu.connection_point for m in _current_members(spg=target.spg, at=at)]
        if not any(point_in_grid(system_operator=system_operator, point=p, at=at) for p in points):
            raise _not_in_grid(target.kind)
    elif target.kind == TargetKind.AREA:
        area = current_area_geometry(system_operator=system_operator, at=at)
        if area is None:
            raise ValidationError(
                {"area": _("Your operator has no observability area yet: upload one first.")}
            )
        clipped = shapely.intersection(area, target.geometry)
        if clipped.is_empty or clipped.area == 0:
            raise ValidationError(
                {
                    "area": _(
                        "The area lies outside your operator's observability area: limits on another "
                        "operator's grid are not allowed."
                    )
                }
            )
        target.geometry = clipped
    return target


def _current_members(*, spg: Spg, at: datetime):
    return (
        SpgMembership.objects.filter(spg=spg, valid_from__lte=at)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))
        .select_related("spu__connection_point")
    )


def area_points(*, geometry) -> list[int]:
    """Ids of the connection points inside (or on the edge of) the polygon."""
    minx, miny, maxx, maxy = geometry.bounds
    rows = list(
        ConnectionPoint.objects.filter(
            longitude__gte=minx, longitude__lte=maxx, latitude__gte=miny, latitude__lte=maxy
        ).values_list("pk", "longitude", "latitude")
    )
    if not rows:
        return []
    ids, lon, lat = zip(*rows, strict=True)
    shapely.prepare(geometry)
    inside = shapely.intersects_xy(geometry, list(lon), list(lat))
    return [pk for pk, ok in zip(ids, inside, strict=True) if ok]


def _affected_resources(*, target: Target, start: datetime, end: datetime) -> tuple[list[int], list[int]]:
    """(SPU ids, SPG ids) a limit on the target affects over [start, end)."""
    spu_ids: list[int] = []
    spg_ids: list[int] = []
    if target.kind == TargetKind.SPG:
        return [], [target.spg.pk]
    if target.kind == TargetKind.SPU:
        spu_ids = [target.spu.pk]
    elif target.kind == TargetKind.CONNECTION_POINT:
        spu_ids = list(
            Spu.objects.filter(connection_point=target.connection_point).values_list("pk", flat=True)
        )
    else:
        point_ids = area_points(geometry=target.geometry)
        spu_ids = list(Spu.objects.filter(connection_point_id__in=point_ids).values_list("pk", flat=True))
    if spu_ids:
        spg_ids = list(
            SpgMembership.objects.filter(spu_id__in=spu_ids, valid_from__lt=end)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=start))
            .values_list("spg_id", flat=True)
            .distinct()
        )
    return spu_ids, spg_ids


def affected_fsp_ids(*, target: Target, start: datetime, end: datetime) -> list[int]:
    if target.kind == TargetKind.SPU:
        return [target.spu.fsp_id]
    if target.kind == TargetKind.SPG:
        return [target.spg.fsp_id]
    spu_ids, _spg_ids = _affected_resources(target=target, start=start, end=end)
    return sorted(set(Spu.objects.filter(pk__in=spu_ids).values_list("fsp_id", flat=True)))


# --- R7: the publication rule --------------------------------------------------------------


@dataclass
class Publication:
    """When a limit starting at `start` must be published at the latest, and why."""

    latest_allowed_at: datetime
    products: list[tuple[Product, datetime]]  # each prequalified product and its own latest time
    binding_product: Product | None  # None: nothing prequalified, the 1-hour fallback

    def explain(self, *, time_zone: str) -> str:
        when = local_time_label(self.latest_allowed_at, time_zone=time_zone)
        if self.binding_product is None:
            return _("%(when)s (1 hour before the start: the target is prequalified for no product)") % {
                "when": when
            }
        p = self.binding_product
        return _(
            "%(when)s (%(product)s: gate closure %(gate)s min before its %(mtu)s-minute market time unit, "
            "minus 1 hour)"
        ) % {
            "when": when,
            "product": p.name,
            "gate": p.gate_closure_minutes,
            "mtu": p.market_time_unit_minutes,
        }


def mtu_start(at: datetime, *, mtu_minutes: int) -> datetime:
    """The start of the market time unit containing `at` (MTUs are aligned on UTC)."""
    step = mtu_minutes * 60
    seconds = int(at.astimezone(UTC).timestamp())
    return datetime.fromtimestamp(seconds - seconds % step, tz=UTC)


def products_prequalified(*, target: Target, start: datetime, end: datetime) -> list[Product]:
    spu_ids, spg_ids = _affected_resources(target=target, start=start, end=end)
    if not spu_ids and not spg_ids:
        return []
    cases = Case.objects.filter(prequalified_q()).filter(Q(spu_id__in=spu_ids) | Q(spg_id__in=spg_ids))
    return list(Product.objects.filter(pk__in=cases.values("product_id")).order_by("code"))


def limit_publication(*, target: Target, start: datetime, end: datetime | None = None) -> Publication:
    """R7: the latest allowed publication time for a limit on `target` that first affects `start`."""
    end = end or start + timedelta(minutes=1)
    per_product = []
    for product in products_prequalified(target=target, start=start, end=end):
        first_mtu = mtu_start(start, mtu_minutes=product.market_time_unit_minutes)
        per_product.append(
            (product, first_mtu - timedelta(minutes=product.gate_closure_minutes) - PUBLICATION_MARGIN)
        )
    if not per_product:
        return Publication(latest_allowed_at=start - PUBLICATION_MARGIN, products=[], binding_product=None)
    product, latest = min(per_product, key=lambda pair: (pair[1], pair[0].code))
    return Publication(latest_allowed_at=latest, products=per_product, binding_product=product)


# --- writes --------------------------------------------------------------------------------


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


def _snapshot(limit: TemporaryLimit) -> dict:
    return {
        "direction": limit.direction,
        "quantity_mw": str(limit.quantity_mw),
        "start": limit.start.astimezone(UTC).isoformat(),
        "end": limit.end.astimezone(UTC).isoformat(),
        "reason": limit.reason,
        "lifted_at": limit.lifted_at.astimezone(UTC).isoformat() if limit.lifted_at else None,
    }


def _refuse_late(
    *,
    user,
    system_operator: SystemOperator,
    target: Target,
    start: datetime,
    publication: Publication,
    limit: TemporaryLimit | None = None,
    field: str = "start",
) -> None:
    """Record the late attempt (its own commit, kept for the annual report), then refuse."""
    LimitRefusal.objects.create(
        system_operator=system_operator,
        actor=user,
        limit=limit,
        target_kind=target.kind,
        target_id=target.target_id,
        target_description=target.description[:200],
        requested_start=start,
        latest_allowed_at=publication.latest_allowed_at,
    )
    raise ValidationError(
        {
            field: _("Too late: a limit first affecting %(start)s had to be published by %(latest)s.")
            % {
                "start": local_time_label(start, time_zone=system_operator.time_zone),
                "latest": publication.explain(time_zone=system_operator.time_zone),
            }
        }
    )


def _notify(limit_id: int, action: str) -> None:
    from limits.notifications import limit_notify

    transaction.on_commit(lambda: limit_notify(limit_id=limit_id, action=action), robust=True)


def _prepare(
    *,
    user,
    system_operator: SystemOperator,
    target_kind: str,
    spu: Spu | None,
    spg: Spg | None,
    connection_point: ConnectionPoint | None,
    area,
    direction: str,
    quantity_mw,
    start: datetime | None,
    end: datetime | None,
    reason: str,
    now: datetime,
) -> tuple[Target, Publication]:
    """Check everything about a new limit but the time of publication."""
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
    errors.update(
        _check_values(
            target=target,
            direction=direction,
            quantity_mw=quantity_mw,
            start=start,
            end=end,
            reason=reason,
            now=now,
        )
    )
    if errors:
        raise ValidationError(errors)
    return target, limit_publication(target=target, start=start, end=end)


def limit_preview(*, now: datetime | None = None, **kwargs) -> Publication:
    """The latest allowed publication time for a limit as entered (nothing is stored).

    Raises ValidationError for bad input, like limit_create.
    """
    _target, publication = _prepare(now=now or timezone.now(), **kwargs)
    return publication


def limit_create(
    *,
    user,
    system_operator: SystemOperator,
    target_kind: str,
    spu: Spu | None = None,
    spg: Spg | None = None,
    connection_point: ConnectionPoint | None = None,
    area=None,
    direction: str,
    quantity_mw,
    start: datetime | None,
    end: datetime | None,
    reason: str,
    now: datetime | None = None,
) -> TemporaryLimit:
    """Publish a temporary limit (R7). All or nothing; a late one is refused and recorded."""
    now = now or timezone.now()
    target, publication = _prepare(
        user=user,
        system_operator=system_operator,
        target_kind=target_kind,
        spu=spu,
        spg=spg,
        connection_point=connection_point,
        area=area,
        direction=direction,
        quantity_mw=quantity_mw,
        start=start,
        end=end,
        reason=reason,
        now=now,
    )
    if now > publication.latest_allowed_at:
        _refuse_late(
            user=user, system_operator=system_operator, target=target, start=start, publication=publication
        )
    fields = {}
    if target.kind == TargetKind.AREA:
        minx, miny, maxx, maxy = target.geometry.bounds
        fields = {
            "area_geojson": shapely.to_geojson(target.geometry),
            "min_lon": minx,
            "min_lat": miny,
            "max_lon": maxx,
            "max_lat": maxy,
        }
    with transaction.atomic():
        limit = TemporaryLimit.objects.create(
            system_operator=system_operator,
            target_kind=target.kind,
            spu=target.spu,
            spg=target.spg,
            connection_point=target.connection_point,
            direction=direction,
            quantity_mw=Decimal(quantity_mw),
            start=start,
            end=end,
            reason=reason.strip(),
            created_by=user,
            created_at=now,
            updated_at=now,
            latest_allowed_at=publication.latest_allowed_at,
            **fields,
        )
        LimitEvent.objects.create(
            limit=limit,
            action=LimitEvent.Action.CREATE,
            at=now,
            actor=user,
            after=_snapshot(limit),
            latest_allowed_at=publication.latest_allowed_at,
        )
        LimitConcern.objects.bulk_create(
            [
                LimitConcern(limit=limit, fsp_id=fsp_id)
                for fsp_id in affected_fsp_ids(target=target, start=start, end=end)
            ]
        )
        _notify(limit.pk, LimitEvent.Action.CREATE)
    return limit


def limit_target(limit: TemporaryLimit) -> Target:
    geometry = shapely.from_geojson(limit.area_geojson) if limit.target_kind == TargetKind.AREA else None
    return Target(
        kind=limit.target_kind,
        spu=limit.spu,
        spg=limit.spg,
        connection_point=limit.connection_point,
        geometry=geometry,
    )


def _tightens(*, old: TemporaryLimit, direction: str, quantity_mw: Decimal) -> bool:
    wider = old.direction != Direction.BOTH and direction != old.direction
    return quantity_mw < old.quantity_mw or wider


def limit_update(
    *,
    user,
    limit: TemporaryLimit,
    direction: str | None = None,
    quantity_mw=None,
    start: datetime | None = None,
    end: datetime | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> TemporaryLimit:
    """Change a limit's period, direction, quantity or reason (not its target).

    The publication rule applies to what the change newly restricts (see the module docstring).
    """
    _require_engineer(user=user, system_operator=limit.system_operator)
    now = now or timezone.now()
    direction = direction if direction is not None else limit.direction
    quantity_mw = (
        Decimal(quantity_mw)
        if isinstance(quantity_mw, int | float | Decimal)
        else (limit.quantity_mw if quantity_mw is None else quantity_mw)
    )
    start = start or limit.start
    end = end or limit.end
    reason = reason if reason is not None else limit.reason
    if limit.lifted_at is not None:
        raise ValidationError({"limit": _("This limit was lifted; publish a new one instead.")})
    if limit.end <= now:
        raise ValidationError({"limit": _("This limit has ended; publish a new one instead.")})
    if start != limit.start and limit.start <= now:
        raise ValidationError({"start": _("The limit has started: its start can no longer be changed.")})
    target = limit_target(limit)
    errors = _check_values(
        target=target,
        direction=direction,
        quantity_mw=quantity_mw,
        start=start,
        end=end,
        reason=reason,
        now=now,
    )
    if not errors and end <= now:
        errors["end"] = [_("The end must be in the future; to stop the limit now, lift it.")]
    if errors:
        raise ValidationError(errors)
    # What does the change newly restrict, from when?
    affected_from = []
    if _tightens(old=limit, direction=direction, quantity_mw=quantity_mw):
        affected_from.append(start)
    if start < limit.start:
        affected_from.append(start)
    if end > limit.end:
        affected_from.append(limit.end)
    publication = None
    if affected_from:
        first = min(affected_from)
        publication = limit_publication(target=target, start=first, end=end)
        if now > publication.latest_allowed_at:
            _refuse_late(
                user=user,
                system_operator=limit.system_operator,
                target=target,
                start=first,
                publication=publication,
                limit=limit,
                field="start" if first == start else "end",
            )
    with transaction.atomic():
        locked = TemporaryLimit.objects.select_for_update().get(pk=limit.pk)
        if locked.updated_at != limit.updated_at or locked.lifted_at is not None:
            raise ValidationError({"limit": _("This limit changed meanwhile: reload and try again.")})
        before = _snapshot(locked)
        locked.direction, locked.quantity_mw, locked.start, locked.end = direction, quantity_mw, start, end
        locked.reason = reason.strip()
        locked.updated_at = now
        if publication is not None:
            locked.latest_allowed_at = publication.latest_allowed_at
        locked.save(
            update_fields=[
                "direction",
                "quantity_mw",
                "start",
                "end",
                "reason",
                "updated_at",
                "latest_allowed_at",
            ]
        )
        LimitEvent.objects.create(
            limit=locked,
            action=LimitEvent.Action.UPDATE,
            at=now,
            actor=user,
            before=before,
            after=_snapshot(locked),
            latest_allowed_at=publication.latest_allowed_at if publication else None,
        )
        _notify(locked.pk, LimitEvent.Action.UPDATE)
    return locked


def limit_lift(*, user, limit: TemporaryLimit, now: datetime | None = None) -> TemporaryLimit:
    """Lift a limit now: always allowed (it only relaxes). Lifting twice or after the end is refused."""
    _require_engineer(user=user, system_operator=limit.system_operator)
    now = now or timezone.now()
    with transaction.atomic():
        locked = TemporaryLimit.objects.select_for_update().get(pk=limit.pk)
        if locked.lifted_at is not None:
            raise ValidationError({"limit": _("This limit was already lifted.")})
        if locked.end <= now:
            raise ValidationError({"limit": _("This limit has already ended.")})
        before = _snapshot(locked)
        locked.lifted_at, locked.lifted_by, locked.updated_at = now, user, now
        locked.save(update_fields=["lifted_at", "lifted_by", "updated_at"])
        LimitEvent.objects.create(
            limit=locked,
            action=LimitEvent.Action.LIFT,
            at=now,
            actor=user,
            before=before,
            after=_snapshot(locked),
        )
        _notify(locked.pk, LimitEvent.Action.LIFT)
    return locked


def fsp_ids_concerned(*, limit: TemporaryLimit) -> list[int]:
    return list(Fsp.objects.filter(pk__in=limit.concerns.values("fsp_id")).values_list("pk", flat=True))

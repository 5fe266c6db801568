"""Temporary limits: every write (publish, change, lift).

- A late limit is refused (and the refusal is recorded for the annual report).
- A change that tightens a limit (less MW, a wider direction, an earlier start) is published
  anew: the rule applies from its (new) start; extending the end applies from the old end.
  Relaxing a limit (more MW, a shorter period) and lifting are always allowed.

Notifications to the FSPs concerned go out after commit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from limits.models import LimitConcern, LimitEvent, LimitRefusal, TargetKind, TemporaryLimit
from limits.services.checks import _check_values, _prepare, _require_engineer
from limits.services.rules import Publication, limit_publication, local_time_label
from limits.services.targets import Target, affected_fsp_ids
from observability.models import ConnectionPoint, SystemOperator
from prequal.models import Direction, Fsp, Spg, Spu


def limit_snapshot(limit: TemporaryLimit) -> dict:
    """The limit as its audit trail records it (LimitEvent.before/after)."""
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


def _area_fields(target: Target) -> dict:
    """The stored polygon and its bounding box (read by the headroom's area look-up)."""
    if target.kind != TargetKind.AREA:
        return {}
    minx, miny, maxx, maxy = target.geometry.bounds
    return {
        "area_geojson": shapely.to_geojson(target.geometry),
        "min_lon": minx,
        "min_lat": miny,
        "max_lon": maxx,
        "max_lat": maxy,
    }


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
    return _create_save(
        user=user,
        system_operator=system_operator,
        target=target,
        publication=publication,
        values={"direction": direction, "quantity_mw": Decimal(quantity_mw), "start": start, "end": end},
        reason=reason,
        now=now,
    )


@transaction.atomic
def _create_save(
    *, user, system_operator: SystemOperator, target: Target, publication: Publication, values: dict,
    reason: str, now: datetime,
) -> TemporaryLimit:
    """Store the limit, its audit event and the FSPs it concerns; notify them on commit."""
    limit = TemporaryLimit.objects.create(
        system_operator=system_operator,
        target_kind=target.kind,
        spu=target.spu,
        spg=target.spg,
        connection_point=target.connection_point,
        **values,
        reason=reason.strip(),
        created_by=user,
        created_at=now,
        updated_at=now,
        latest_allowed_at=publication.latest_allowed_at,
        **_area_fields(target),
    )
    LimitEvent.objects.create(
        limit=limit,
        action=LimitEvent.Action.CREATE,
        at=now,
        actor=user,
        after=limit_snapshot(limit),
        latest_allowed_at=publication.latest_allowed_at,
    )
    LimitConcern.objects.bulk_create(
        [
            LimitConcern(limit=limit, fsp_id=fsp_id)
            for fsp_id in affected_fsp_ids(target=target, start=limit.start, end=limit.end)
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


def _update_check(
    *, limit: TemporaryLimit, target: Target, direction, quantity_mw, start, end, reason, now: datetime
) -> None:
    """Refuse a change of a lifted or ended limit, of a started limit's start, or bad values."""
    if limit.lifted_at is not None:
        raise ValidationError({"limit": _("This limit was lifted; publish a new one instead.")})
    if limit.end <= now:
        raise ValidationError({"limit": _("This limit has ended; publish a new one instead.")})
    if start != limit.start and limit.start <= now:
        raise ValidationError({"start": _("The limit has started: its start can no longer be changed.")})
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


def _update_publication(
    *, user, limit: TemporaryLimit, target: Target, direction, quantity_mw, start, end, now: datetime
) -> Publication | None:
    """R7 for what the change newly restricts, from when; None if it restricts nothing new.

    A late change is refused (and recorded) like a late limit.
    """
    affected_from = []
    if _tightens(old=limit, direction=direction, quantity_mw=quantity_mw):
        affected_from.append(start)
    if start < limit.start:
        affected_from.append(start)
    if end > limit.end:
        affected_from.append(limit.end)
    if not affected_from:
        return None
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
    return publication


@transaction.atomic
def _update_save(
    *, user, limit: TemporaryLimit, values: dict, publication: Publication | None, now: datetime
) -> TemporaryLimit:
    """Write the change on a locked, unchanged copy, with its audit event; notify on commit."""
    locked = TemporaryLimit.objects.select_for_update().get(pk=limit.pk)
    if locked.updated_at != limit.updated_at or locked.lifted_at is not None:
        raise ValidationError({"limit": _("This limit changed meanwhile: reload and try again.")})
    before = limit_snapshot(locked)
    for name, value in values.items():
        setattr(locked, name, value)
    locked.reason = locked.reason.strip()
    locked.updated_at = now
    if publication is not None:
        locked.latest_allowed_at = publication.latest_allowed_at
    fields = ["direction", "quantity_mw", "start", "end", "reason", "updated_at", "latest_allowed_at"]
    locked.save(update_fields=fields)
    LimitEvent.objects.create(
        limit=locked,
        action=LimitEvent.Action.UPDATE,
        at=now,
        actor=user,
        before=before,
        after=limit_snapshot(locked),
        latest_allowed_at=publication.latest_allowed_at if publication else None,
    )
    _notify(locked.pk, LimitEvent.Action.UPDATE)
    return locked


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
    values = {
        "direction": direction if direction is not None else limit.direction,
        "quantity_mw": (
            Decimal(quantity_mw)
            if isinstance(quantity_mw, int | float | Decimal)
            else (limit.quantity_mw if quantity_mw is None else quantity_mw)
        ),
        "start": start or limit.start,
        "end": end or limit.end,
        "reason": reason if reason is not None else limit.reason,
    }
    target = limit_target(limit)
    _update_check(limit=limit, target=target, now=now, **values)
    publication = _update_publication(
        user=user,
        limit=limit,
        target=target,
        now=now,
        **{k: v for k, v in values.items() if k != "reason"},
    )
    return _update_save(user=user, limit=limit, values=values, publication=publication, now=now)


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
        before = limit_snapshot(locked)
        locked.lifted_at, locked.lifted_by, locked.updated_at = now, user, now
        locked.save(update_fields=["lifted_at", "lifted_by", "updated_at"])
        LimitEvent.objects.create(
            limit=locked,
            action=LimitEvent.Action.LIFT,
            at=now,
            actor=user,
            before=before,
            after=limit_snapshot(locked),
        )
        _notify(locked.pk, LimitEvent.Action.LIFT)
    return locked


def fsp_ids_concerned(*, limit: TemporaryLimit) -> list[int]:
    return list(Fsp.objects.filter(pk__in=limit.concerns.values("fsp_id")).values_list("pk", flat=True))

"""Temporary limits: changing and lifting a published limit.

A change that tightens a limit (less MW, a wider direction, an earlier start) is published
anew: the rule applies from its (new) start; extending the end applies from the old end.
Relaxing a limit (more MW, a shorter period) and lifting are always allowed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from limits.models import LimitEvent, TemporaryLimit
from limits.services.checks import _check_values, _require_engineer
from limits.services.refusals import limit_refuse_late
from limits.services.rules import Publication, limit_publication
from limits.services.targets import Target, limit_target
from limits.services.trail import limit_event_record, limit_snapshot
from prequal.models import Direction


def _tightens(*, old: TemporaryLimit, direction: str, quantity_mw: Decimal) -> bool:
    wider = old.direction != Direction.BOTH and direction != old.direction
    return quantity_mw < old.quantity_mw or wider


def _update_check(*, limit: TemporaryLimit, target: Target, values: dict, now: datetime) -> None:
    """Refuse a change of a lifted or ended limit, of a started limit's start, or bad values."""
    if limit.lifted_at is not None:
        raise ValidationError({"limit": _("This limit was lifted; publish a new one instead.")})
    if limit.end <= now:
        raise ValidationError({"limit": _("This limit has ended; publish a new one instead.")})
    if values["start"] != limit.start and limit.start <= now:
        raise ValidationError({"start": _("The limit has started: its start can no longer be changed.")})
    errors = _check_values(target=target, now=now, **values)
    if not errors and values["end"] <= now:
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
        limit_refuse_late(
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
    limit_event_record(
        limit=locked,
        action=LimitEvent.Action.UPDATE,
        user=user,
        now=now,
        before=before,
        latest_allowed_at=publication.latest_allowed_at if publication else None,
    )
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
    _update_check(limit=limit, target=target, values=values, now=now)
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
        limit_event_record(limit=locked, action=LimitEvent.Action.LIFT, user=user, now=now, before=before)
    return locked

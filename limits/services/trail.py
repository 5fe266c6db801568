"""Temporary limits: the audit trail of each publication, change and lift, and its notification.

Every event is kept (LimitEvent, immutable) and read by the annual report; the FSPs concerned
are told after commit.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction

from limits.models import LimitEvent, TemporaryLimit


def limit_snapshot(limit: TemporaryLimit) -> dict:
    """The limit as its audit trail records it (LimitEvent.before/after)."""
    snapshot = {
        "direction": limit.direction,
        "quantity_mw": str(limit.quantity_mw),
        "start": limit.start.astimezone(UTC).isoformat(),
        "end": limit.end.astimezone(UTC).isoformat(),
        "reason": limit.reason,
        "lifted_at": limit.lifted_at.astimezone(UTC).isoformat() if limit.lifted_at else None,
    }
    if limit.forecast_publication_id:  # the forecast cited (R12), only where one is
        snapshot["forecast_publication"] = limit.forecast_publication_id
        snapshot["forecast_zone"] = limit.forecast_zone_id
    return snapshot


def limit_event_record(
    *,
    limit: TemporaryLimit,
    action: str,
    user,
    now: datetime,
    before: dict | None = None,
    latest_allowed_at: datetime | None = None,
) -> None:
    """Record what `user` did to the limit (it as it is now, after), and notify on commit."""
    LimitEvent.objects.create(
        limit=limit,
        action=action,
        at=now,
        actor=user,
        before=before or {},
        after=limit_snapshot(limit),
        latest_allowed_at=latest_allowed_at,
    )
    _notify(limit.pk, action)


def _notify(limit_id: int, action: str) -> None:
    from limits.notifications import limit_notify

    transaction.on_commit(lambda: limit_notify(limit_id=limit_id, action=action), robust=True)

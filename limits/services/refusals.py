"""Temporary limits refused as published too late (R7): recorded for the annual report (R9)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from limits.models import LimitRefusal, TemporaryLimit
from limits.services.rules import Publication, local_time_label
from limits.services.targets import Target
from observability.models import SystemOperator


def limit_refuse_late(
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

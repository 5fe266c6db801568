"""Query parameters of the forecast reads: instants with their offset, and a bounded period."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from common.times import InstantError, instant_in_range
from forecasts.selectors import resource_period
from observability.selectors import area_upload_operators_for_user

MAX_PERIOD = timedelta(days=14)


def instant_param(request, name: str, *, default: datetime) -> datetime:
    raw = request.query_params.get(name)
    if not raw:
        return default
    value = parse_datetime(raw)
    if value is None or value.tzinfo is None:
        raise ValidationError(
            {
                name: _("%(value)s is not a date and time with an offset, e.g. 2027-01-05T12:00Z.")
                % {"value": raw}
            }
        )
    try:
        return instant_in_range(value)
    except InstantError as exc:
        raise ValidationError({name: str(exc)}) from exc


def period_params(request, *, as_of: datetime) -> tuple[datetime, datetime]:
    """`start` and `end` (default: the 48 hours from as_of's quarter-hour), at most 14 days apart."""
    default_start, default_end = resource_period(as_of=as_of)
    start = instant_param(request, "start", default=default_start)
    end = instant_param(request, "end", default=start + (default_end - default_start))
    if end <= start:
        raise ValidationError({"end": _("The end must come after the start.")})
    if end - start > MAX_PERIOD:
        raise ValidationError(
            {"end": _("Ask for at most %(days)s days at a time.") % {"days": MAX_PERIOD.days}}
        )
    return start, end


def require_engineer(user) -> None:
    """Writers are SO engineers (of the operator named, checked by the service): others get 403
    before their body is read."""
    if not area_upload_operators_for_user(user=user).exists():
        raise PermissionDenied

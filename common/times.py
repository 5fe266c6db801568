"""Instants people type: a local wall time must name exactly one instant, in a sensible range.

A naive time in the summer-time gap (02:30 on the last Sunday of March in Sweden) names no
instant, and one in the autumn fold (02:30 on the last Sunday of October) names two. Both are
refused with a message, never shifted silently; an offset (e.g. +02:00) makes the time exact.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from django.utils.translation import gettext as _

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


class InstantError(ValueError):
    """The message says why the time names no single sensible instant."""


def local_instant(naive: datetime, zone: tzinfo) -> datetime:
    """The instant the wall time `naive` names in `zone`; InstantError in a gap or a fold."""
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        shown = naive.strftime("%Y-%m-%d %H:%M")
        if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
            raise InstantError(
                _("%(time)s does not exist in %(zone)s: the clocks skip it when summer time begins.")
                % {"time": shown, "zone": zone}
            )
        raise InstantError(
            _(
                "%(time)s occurs twice in %(zone)s, when summer time ends: give it with its UTC "
                "offset (%(first)s for the first, %(second)s for the second)."
            )
            % {"time": shown, "zone": zone, "first": _offset(first), "second": _offset(second)}
        )
    return instant_in_range(first)


def instant_in_range(value: datetime) -> datetime:
    """`value` (aware) if it lies in 2000–2099; InstantError otherwise."""
    if not EARLIEST <= value < LATEST:
        raise InstantError(_("Give a date and time between the years 2000 and 2099."))
    return value


def _offset(value: datetime) -> str:
    minutes = int(value.utcoffset().total_seconds() // 60)
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"

"""A limit's history in words and local time (issue 15), read from its audit trail (LimitEvent).

    "Max MW changed from 5 to 3 by Anna Berg, 6 Dec 2026 14:05"

The audit rows keep the raw before/after snapshots (limits.services.trail.limit_snapshot, read by
the API and the annual report); this module only says them as a person would, in the issuing
operator's time zone.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.utils import formats
from django.utils.translation import gettext as _

from limits.models import LimitEvent
from prequal.models import Direction

# Day, short month, year, 24-hour clock: "6 Dec 2026 14:05" (month names follow the language).
WHEN_FORMAT = "j M Y H:i"


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    when: str  # local time, in words
    actor: str
    action: str  # LimitEvent.Action value
    sentences: list[str]  # what happened, without who and when

    @property
    def text(self) -> str:
        """e.g. "Max MW changed from 5 to 3 by Anna Berg, 6 Dec 2026 14:05"."""
        return _("%(what)s by %(who)s, %(when)s") % {
            "what": "; ".join(self.sentences), "who": self.actor, "when": self.when
        }


def local_words(at: datetime | str | None, *, time_zone: str) -> str:
    """`at` in the operator's local time, e.g. "6 Dec 2026 14:05" (empty for None)."""
    if not at:
        return ""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return formats.date_format(at.astimezone(zoneinfo.ZoneInfo(time_zone)), WHEN_FORMAT)


def _mw(value) -> str:
    try:
        return formats.number_format(Decimal(str(value)).normalize(), use_l10n=True)
    except (InvalidOperation, ValueError):
        return str(value)


def _direction(value) -> str:
    return str(Direction(value).label) if value in Direction.values else str(value)


def _field_change(key: str, old, new, *, time_zone: str) -> str | None:
    """One sentence for one changed value, or None for values the page does not show."""
    if key == "quantity_mw":
        return _("Max MW changed from %(old)s to %(new)s") % {"old": _mw(old), "new": _mw(new)}
    if key == "direction":
        return _("Direction changed from %(old)s to %(new)s") % {
            "old": _direction(old), "new": _direction(new)
        }
    if key == "start":
        return _("Start changed from %(old)s to %(new)s") % {
            "old": local_words(old, time_zone=time_zone), "new": local_words(new, time_zone=time_zone)
        }
    if key == "end":
        return _("End changed from %(old)s to %(new)s") % {
            "old": local_words(old, time_zone=time_zone), "new": local_words(new, time_zone=time_zone)
        }
    if key == "reason":
        return _("Reason changed to “%(new)s”") % {"new": new}
    if key == "forecast_publication":
        return _("Forecast cited changed") if old else _("Forecast cited")
    return None


def _same(key: str, old, new) -> bool:
    """Equal as values: "0.5" and "0.500" MW, or one instant written in two ways, are no change."""
    if old == new or old is None or new is None:
        return old == new
    try:
        if key == "quantity_mw":
            return Decimal(str(old)) == Decimal(str(new))
        if key in ("start", "end"):
            return datetime.fromisoformat(old) == datetime.fromisoformat(new)
    except (InvalidOperation, ValueError, TypeError):
        pass
    return False


def _sentences(event: LimitEvent, *, time_zone: str) -> list[str]:
    after, before = event.after or {}, event.before or {}
    if event.action == LimitEvent.Action.CREATE:
        return [
            _("Published: %(direction)s, max %(mw)s MW, %(start)s – %(end)s") % {
                "direction": _direction(after.get("direction")),
                "mw": _mw(after.get("quantity_mw")),
                "start": local_words(after.get("start"), time_zone=time_zone),
                "end": local_words(after.get("end"), time_zone=time_zone),
            }
        ]
    if event.action == LimitEvent.Action.LIFT:
        start = before.get("start")
        if start and datetime.fromisoformat(start) > event.at:
            return [_("Withdrawn before it started")]
        return [_("Lifted")]
    changed = [
        _field_change(key, before.get(key), after.get(key), time_zone=time_zone)
        for key in ("quantity_mw", "direction", "start", "end", "reason", "forecast_publication")
        if not _same(key, before.get(key), after.get(key))
    ]
    return [s for s in changed if s] or [_("Saved without changes")]


def _actor_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def limit_history(events, *, time_zone: str) -> list[HistoryLine]:
    """The limit's events (limits.selectors.limit_events) as lines a person reads."""
    return [
        HistoryLine(
            at=event.at,
            when=local_words(event.at, time_zone=time_zone),
            actor=_actor_name(event.actor),
            action=event.action,
            sentences=_sentences(event, time_zone=time_zone),
        )
        for event in events
    ]

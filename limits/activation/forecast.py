"""Congestion forecasts in the activation check (R8, R12): likely or certain congestion → yellow.

The rule: when, as of the moment of the check, a published forecast says congestion is likely or
certain in a grid zone containing the resource's connection point (an SPG: a counting member's
point), in the requested direction, for a market time unit overlapping the period, the answer is
at least yellow, with a reason naming the zone, the level and the period. The forecast never
makes an answer red (red stays with prequalification, conditions and limits) and never changes
the largest allowed quantity: it tells the platform what the operator expects, and a temporary
limit is what binds.

Whose zones: every operator's zone around the point, not only the operator asked as. Congestion
in a DSO's feeder group stops an activation the TSO asks about as much as one the DSO asks about
(the coordination Title VII is about), and a zone lies where its publisher watches the grid. A
zone of an operator the caller does not read in full (limits.activation.access.Readable) is named
without its operator or code, as other operators' limits are.

Speed (SPEC §7): the zones around the points come from the process's zone index
(forecasts.zone_index: no query), their congested units from the process's cache of the units
near now (forecasts.congestion_cache: no query; one every few seconds brings it up to date), or
for a period or moment outside it by one indexed query (forecasts.congestion).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from forecasts.congestion import CongestedUnit
from forecasts.congestion_cache import congested_units
from forecasts.models import CongestionLevel
from forecasts.zone_index import IndexedZone, zones_at_points
from limits.activation.access import Readable
from limits.activation.limit_lookup import spu_point
from limits.activation.verdict import GREEN, YELLOW, Verdict
from limits.services import local_time_label
from prequal.models import Spu


def _points(resource, members) -> list[tuple[float, float]]:
    if isinstance(resource, Spu):
        _point_id, lon, lat = spu_point(resource)
        return [(lon, lat)]
    return list(dict.fromkeys((m[5], m[6]) for m in members or ()))


def _spans(units: list[CongestedUnit]) -> list[CongestedUnit]:
    """Adjacent units of one zone, direction and level joined into one span."""
    spans: list[CongestedUnit] = []
    for unit in sorted(units, key=lambda u: (u.zone_id, u.direction, u.start)):
        last = spans[-1] if spans else None
        if (
            last is not None
            and (last.zone_id, last.direction, last.level) == (unit.zone_id, unit.direction, unit.level)
            and last.end == unit.start
        ):
            spans[-1] = CongestedUnit(
                last.zone_id, last.start, unit.end, last.direction, last.level, unit.publication_id
            )
        else:
            spans.append(unit)
    return spans


class _Words:
    """The reasons' words for one check, each translated once: a check's spans share their
    templates and levels (up to four zones over the same period), and translating them per span
    was most of the rule's time (SPEC §7). The quarter-hours' labels are kept per process
    (local_time_label)."""

    def __init__(self, *, tz: str):
        self.tz = tz
        self.labels: dict[int, str] = {}
        self.templates: dict[bool, str] = {}

    def level(self, level: int) -> str:
        if level not in self.labels:
            self.labels[level] = str(CongestionLevel(level).label)
        return self.labels[level]

    def template(self, *, named: bool) -> str:
        if named not in self.templates:
            self.templates[named] = _(
                "The congestion forecast of %(so)s for grid zone %(zone)s (%(name)s) says congestion is "
                "%(level)s (%(dir)s) from %(start)s to %(end)s."
            ) if named else _(
                "A congestion forecast of another system operator says congestion is %(level)s (%(dir)s) "
                "from %(start)s to %(end)s."
            )
        return self.templates[named]


def _reason(span: CongestedUnit, zone: IndexedZone, *, words: _Words, readable: Readable) -> str:
    values = {
        "level": words.level(span.level),
        "dir": span.direction,
        "zone": zone.code,
        "name": zone.name,
        "so": zone.operator_name,
        "start": local_time_label(span.start, time_zone=words.tz),
        "end": local_time_label(span.end, time_zone=words.tz),
    }
    named = readable.so_ids is None or zone.system_operator_id in readable.so_ids
    return words.template(named=named) % values


def forecast_congestion_apply(
    *, verdicts: list[Verdict], resource, members, start: datetime, end: datetime, tz: str,
    readable: Readable, as_of: datetime | None = None,
) -> None:
    """Turn each direction's green verdict yellow, and add a reason, where a forecast as of
    `as_of` (default now) says congestion is likely or certain (the rule: module docstring)."""
    as_of = as_of or timezone.now()
    zones = {zone.zone_id: zone for zone in zones_at_points(points=_points(resource, members), at=as_of)}
    if not zones:
        return
    units = congested_units(
        zone_ids=zones, directions={v.direction for v in verdicts}, start=start, end=end, as_of=as_of
    )
    words = _Words(tz=tz)
    for verdict in verdicts:
        spans = _spans([unit for unit in units if unit.direction == verdict.direction])
        if not spans:
            continue
        if verdict.color == GREEN:
            verdict.color = YELLOW
        verdict.reasons += [
            _reason(span, zones[span.zone_id], words=words, readable=readable) for span in spans
        ]

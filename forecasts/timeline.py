"""A resource's forecast as a timeline of quarter-hours, and the chart drawn from it (SPEC R12).

A resource may lie in several zones (a DSO's feeder group inside the TSO's area) whose rows have
15- or 60-minute market time units. Per quarter-hour and direction, what binds the resource is
the least headroom and the worst level of its zones: the chart shows that. The map (read by
forecasts.maps) shows each zone's worst level of both directions per quarter-hour.

The chart is plain SVG built here and drawn by a template: rectangles with classes that
static/css/forecasts.css colours (no inline style, no script: CSP-safe), one run of equal values
per rectangle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import number_format

from forecasts.models import LEVEL_CODES, CongestionLevel

SLOT = timedelta(minutes=15)
DIRECTIONS = ("up", "down")
# Chart geometry (SVG user units): a band strip per direction, bars up and down from an axis.
SLOT_WIDTH = 5
LEFT = 48
BAND = 12
BARS = 70
TOP = 18


@dataclass
class Timeline:
    """Per direction and quarter-hour from `start`: the least headroom and the worst level of the
    zones (None where no zone has a row)."""

    start: datetime
    slots: int
    headroom: dict[str, list[Decimal | None]]
    level: dict[str, list[int | None]]

    def worst(self, direction: str) -> int | None:
        known = [level for level in self.level[direction] if level is not None]
        return max(known) if known else None

    def first_at_least(self, level: int) -> datetime | None:
        """The start of the first quarter-hour where either direction reaches `level`."""
        for index in range(self.slots):
            if any((self.level[d][index] or 0) >= level for d in DIRECTIONS):
                return self.start + index * SLOT
        return None


def _span(row: dict, start: datetime, slots: int) -> range:
    first = max(0, (row["start"] - start) // SLOT)
    end = row["start"] + timedelta(minutes=row["minutes"])
    last = min(slots, -((start - end) // SLOT))
    return range(first, last)


def timeline_of_rows(rows, *, start: datetime, end: datetime) -> Timeline:
    """The timeline of forecast rows (dicts with start, minutes, direction, headroom_mw, level)."""
    slots = (end - start) // SLOT
    timeline = Timeline(
        start=start,
        slots=slots,
        headroom={d: [None] * slots for d in DIRECTIONS},
        level={d: [None] * slots for d in DIRECTIONS},
    )
    for row in rows:
        headroom, level = timeline.headroom[row["direction"]], timeline.level[row["direction"]]
        for index in _span(row, start, slots):
            if headroom[index] is None or row["headroom_mw"] < headroom[index]:
                headroom[index] = row["headroom_mw"]
            if level[index] is None or row["level"] > level[index]:
                level[index] = row["level"]
    return timeline


def resource_timeline(zones, *, start: datetime, end: datetime) -> Timeline:
    """The binding timeline of a resource's zones (selectors.ZoneForecast)."""
    return timeline_of_rows(
        (row for zone in zones for row in zone.values), start=start, end=end
    )


def worst_levels(timeline: Timeline) -> list[int | None]:
    """Per quarter-hour, the worse level of the two directions (read by the map)."""
    up, down = timeline.level["up"], timeline.level["down"]
    return [
        None if a is None and b is None else max(a or 0, b or 0) for a, b in zip(up, down, strict=True)
    ]


def _runs(values: list) -> list[tuple[int, int, object]]:
    """(first index, length, value) of each run of equal values."""
    runs: list[tuple[int, int, object]] = []
    for index, value in enumerate(values):
        if runs and runs[-1][2] == value and runs[-1][0] + runs[-1][1] == index:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1, value)
        else:
            runs.append((index, 1, value))
    return runs


def _when(timeline: Timeline, first: int, length: int) -> str:
    begin = timezone.localtime(timeline.start + first * SLOT)
    end = timezone.localtime(timeline.start + (first + length) * SLOT)
    return f"{begin:%Y-%m-%d %H:%M}–{end:%H:%M}"


def _bands(timeline: Timeline, direction: str, y: int) -> list[dict]:
    return [
        {
            "x": LEFT + first * SLOT_WIDTH,
            "y": y,
            "width": length * SLOT_WIDTH,
            "height": BAND,
            "level": LEVEL_CODES[level],
            "direction": direction,
            "start": (timeline.start + first * SLOT).isoformat(),
            "title": f"{_when(timeline, first, length)}: {CongestionLevel(level).label}",
        }
        for first, length, level in _runs(timeline.level[direction])
        if level is not None
    ]


def _bars(timeline: Timeline, direction: str, axis: int, scale: float) -> list[dict]:
    bars = []
    for first, length, headroom in _runs(timeline.headroom[direction]):
        if headroom is None:
            continue
        height = round(float(headroom) * scale, 1)
        bars.append(
            {
                "x": LEFT + first * SLOT_WIDTH,
                "y": axis - height if direction == "up" else axis,
                "width": length * SLOT_WIDTH,
                "height": height,
                "direction": direction,
                "mw": headroom,
                "title": f"{_when(timeline, first, length)}: {number_format(headroom.normalize())} MW",
            }
        )
    return bars


def _ticks(timeline: Timeline, bottom: int) -> list[dict]:
    """A tick at each local 00:00, 06:00, 12:00 and 18:00."""
    ticks = []
    for index in range(timeline.slots + 1):
        local = timezone.localtime(timeline.start + index * SLOT)
        if local.minute == 0 and local.hour % 6 == 0:
            label = f"{local:%d/%m}" if local.hour == 0 else f"{local:%H:%M}"
            ticks.append({"x": LEFT + index * SLOT_WIDTH, "label": label, "y": bottom})
    return ticks


def chart(timeline: Timeline) -> dict:
    """What templates/forecasts/_chart.html draws: bands, bars, axis and ticks (SVG units)."""
    known = [h for d in DIRECTIONS for h in timeline.headroom[d] if h is not None]
    peak = max((float(h) for h in known), default=0.0) or 1.0
    scale = BARS / peak
    up_band, axis = TOP, TOP + BAND + 4 + BARS
    down_band = axis + BARS + 4
    bottom = down_band + BAND + 14
    return {
        "width": LEFT + timeline.slots * SLOT_WIDTH + 8,
        "height": bottom + 4,
        "left": LEFT,
        "right": LEFT + timeline.slots * SLOT_WIDTH,
        "axis": axis,
        "peak_mw": round(peak, 3) if known else None,
        "peak_y": axis - BARS,
        "trough_y": axis + BARS,
        "up_label_y": up_band + BAND - 2,
        "down_label_y": down_band + BAND - 2,
        "bands": _bands(timeline, "up", up_band) + _bands(timeline, "down", down_band),
        "bars": _bars(timeline, "up", axis, scale) + _bars(timeline, "down", axis, scale),
        "ticks": _ticks(timeline, bottom),
        "empty": not known,
    }

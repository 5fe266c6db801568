"""My grid's chart, drawn on the server as SVG shapes (no JavaScript, no inline styles: the
template writes the shapes with their attributes and CSS classes, static/css/grid.css colours
them). Up above the axis, down below it; awards as wide light bars, activations as dark bars
drawn over them.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import timedelta

from prequal.models import Direction
from register.models import RecordKind
from register.selectors_grid import NEXT_48, Window

WIDTH, HEIGHT, LEFT, TOP, BOTTOM = 960, 260, 48, 10, 30


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    label: str


def chart_svg(*, series: dict, window: Window, time_zone: str) -> dict:
    """The chart's geometry: bars, the axis, the MW scale and time labels in the operator's zone."""
    plot_w, plot_h = WIDTH - LEFT, HEIGHT - TOP - BOTTOM
    axis = TOP + plot_h / 2
    top = max([max(values, default=0.0) for values in series.values()] + [0.0])
    scale = (plot_h / 2) / top if top else 0.0
    width = plot_w / window.buckets
    bars = []
    for (kind, direction), values in series.items():
        css = f"bar-{kind}-{direction}"
        for i, mw in enumerate(values):
            if mw <= 0:
                continue
            height = mw * scale
            y = axis - height if direction == Direction.UP else axis
            bars.append(Bar(round(LEFT + i * width, 2), round(y, 2), round(max(width, 0.5), 2),
                            round(height, 2), css))
    # Activations last, drawn over the awards.
    bars.sort(key=lambda b: RecordKind.ACTIVATION in b.css)
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "axis": round(axis, 2), "bars": bars,
        "paths": _paths(bars),
        "top": TOP, "bottom": TOP + plot_h, "max_mw": round(top, 3),
        "ticks": _ticks(window, time_zone, width),
    }


def _paths(bars: list[Bar]) -> list[tuple[str, str]]:
    """One SVG path per series, a rectangle per bar ("M x y h w v h h -w z"): four elements to
    render, however many market time units (the template's loop over 800 rectangles cost more
    than the page's SQL)."""
    out: dict[str, list[str]] = {}
    for b in bars:
        out.setdefault(b.css, []).append(f"M{b.x} {b.y}h{b.width}v{b.height}h{-b.width}z")
    return [(css, "".join(parts)) for css, parts in out.items()]


def _ticks(window: Window, time_zone: str, width: float) -> list[Tick]:
    zone = zoneinfo.ZoneInfo(time_zone)
    if window.period == NEXT_48:
        every, fmt = timedelta(hours=6), "%d %H:%M"
    else:
        every, fmt = timedelta(days=3), "%m-%d"
    per = int(every / window.step)
    return [
        Tick(round(LEFT + i * width, 2), HEIGHT - 8,
             (window.start + i * window.step).astimezone(zone).strftime(fmt))
        for i in range(0, window.buckets, per)
    ]

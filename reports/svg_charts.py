"""The report page's three charts as plain SVG shapes, built from the report's own tables (issue 15:
the page within 300 ms on every view, with no matplotlib on its path).

Only geometry is made here (bars, axes, ticks, legend entries, each with its CSS class); the
template reports/_chart.html writes the shapes and static/css/report.css colours them (no inline
styles: the security policy refuses them). Labels are translated, numbers formatted for the
reader's language (django.utils.formats.number_format). The PDF keeps its matplotlib images
(reports.pdf_charts), drawn from the same rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from reports.builder import Report

WIDTH = 720
MAX_BARS = 20  # the outcome chart's operators, those with most decisions first
# Outcome series in the order of the outcome table's columns (after operator, EIC and tier).
OUTCOME_SERIES = ("approved", "silence", "conditional", "refused")


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str
    series: str = ""
    group: str = ""


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    css: str = "chart-tick"
    anchor: str = "start"
    vertical: bool = False  # turned a quarter anticlockwise about (x, y): a value axis's title
    lines: tuple[str, ...] = ()  # the text on two lines when it is wider than its slot


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    css: str = "chart-grid"


@dataclass(frozen=True)
class LegendEntry:
    x: float
    y: float
    series: str
    label: str

    @property
    def swatch_y(self) -> float:
        return self.y - 10

    @property
    def text_x(self) -> float:
        return round(self.x + 16, 1)


@dataclass
class Chart:
    key: str
    title: str
    description: str
    height: float
    width: int = WIDTH
    rects: list[Rect] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    legend: list[LegendEntry] = field(default_factory=list)
    empty_text: str = ""

    @property
    def middle(self) -> float:
        return self.width / 2


def nice_ticks(top: float, *, most: int = 5) -> list[int]:
    """Whole-number ticks from 0 to at least `top`, a step of 1, 2 or 5 × 10ⁿ, at most `most` steps."""
    if top <= 0:
        return [0, 1]
    raw = top / most
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(math.ceil(top / step) + 1)]


def _num(value) -> str:
    return number_format(value)


def _bar_title(name: str, series: str, value: int) -> str:
    """A bar's tooltip and accessible text: whose bar, which series, how many."""
    return _("%(name)s, %(series)s: %(value)s") % {"name": name, "series": series, "value": _num(value)}


def _short(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _wrapped(text: str, *, width: float) -> tuple[str, ...]:
    """`text` in two lines split at the space nearest its middle if it is wider than `width`
    (about 6 px a character at the ticks' size), else as it is (no lines)."""
    spaces = [i for i, c in enumerate(text) if c == " "]
    if 6 * len(text) <= width or not spaces:
        return ()
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    return text[:cut], text[cut + 1:]


def _legend(entries: list[tuple[str, str]], *, y: float, x: float) -> list[LegendEntry]:
    """Legend entries in one row from `x`, spaced by their labels' length."""
    out = []
    for series, label in entries:
        out.append(LegendEntry(round(x, 1), y, series, label))
        x += 28 + 6.5 * len(label)
    return out


def outcomes_chart(report: Report) -> Chart:
    """Assessments by outcome: one stacked horizontal bar per operator with decisions."""
    decided = sorted((r for r in report.outcome_rows if r[-1]), key=lambda r: (-r[-1], r[0]))
    rows = decided[:MAX_BARS]
    title = _("Assessments by outcome per operator")
    if len(decided) > MAX_BARS:
        title += " " + _("(the %(n)s with most decisions)") % {"n": MAX_BARS}
    names = (_("Approved"), _("Approved by silence"), _("Conditionally approved"), _("Not approved"))
    left, top, row_h = 190, 58, 22
    plot_w = WIDTH - left - 20
    bottom = top + max(len(rows), 1) * row_h
    chart = Chart(
        key="outcomes", title=title, height=bottom + 44,
        description=_("Decisions per operator and outcome; the table “%(table)s” holds the figures.")
        % {"table": _("Assessments by outcome")},
    )
    chart.labels.append(Label(left + plot_w / 2, bottom + 38, _("Decisions"), "chart-axis-title", "middle"))
    if not rows:
        chart.empty_text = _("No decisions")
        chart.labels.append(Label(left + plot_w / 2, top + row_h / 2 + 4, chart.empty_text, "chart-empty",
                                  "middle"))
        chart.lines.append(Line(left, bottom, left + plot_w, bottom, "chart-axis"))
        return chart
    chart.legend = _legend(list(zip(OUTCOME_SERIES, names, strict=True)), y=34, x=10)
    ticks = nice_ticks(max(r[-1] for r in rows))
    scale = plot_w / ticks[-1]
    for tick in ticks:
        x = round(left + tick * scale, 1)
        chart.lines.append(Line(x, top, x, bottom))
        chart.labels.append(Label(x, bottom + 16, _num(tick), anchor="middle"))
    for i, row in enumerate(rows):
        name, y, x = str(row[0]), top + i * row_h + 3, float(left)
        chart.labels.append(Label(left - 6, y + 13, _short(name), "chart-category", "end"))
        for series, label, value in zip(OUTCOME_SERIES, names, row[3:7], strict=True):
            if value:
                width = value * scale
                chart.rects.append(Rect(
                    round(x, 1), y, round(width, 1), row_h - 6, f"bar bar-{series}",
                    _bar_title(name, label, value), series=series, group=name,
                ))
                x += width
    chart.lines.append(Line(left, top, left, bottom, "chart-axis"))
    return chart


def _columns(chart: Chart, *, groups: list[tuple[str, list[int]]], series: list[tuple[str, str]],
             top: float, bottom: float, left: float) -> None:
    """Vertical bars, one group per category and one bar per series, with the value axis."""
    plot_w = WIDTH - left - 12
    ticks = nice_ticks(max((v for _g, values in groups for v in values), default=0))
    scale = (bottom - top) / ticks[-1]
    for tick in ticks:
        y = round(bottom - tick * scale, 1)
        chart.lines.append(Line(left, y, left + plot_w, y))
        chart.labels.append(Label(left - 6, y + 4, _num(tick), anchor="end"))
    slot = plot_w / len(groups)
    bar_w = slot * 0.7 / len(series)
    for i, (name, values) in enumerate(groups):
        x = left + i * slot + slot * 0.15
        chart.labels.append(Label(round(left + (i + 0.5) * slot, 1), bottom + 16, name, "chart-category",
                                  "middle", lines=_wrapped(name, width=slot)))
        for j, ((key, label), value) in enumerate(zip(series, values, strict=True)):
            height = value * scale
            chart.rects.append(Rect(
                round(x + j * bar_w, 1), round(bottom - height, 1), round(bar_w, 1), round(height, 1),
                f"bar bar-{key}", _bar_title(name, label, value), series=key, group=name,
            ))
    chart.lines.append(Line(left, bottom, left + plot_w, bottom, "chart-axis"))


def decision_times_chart(report: Report) -> Chart:
    """The decision-time distribution: one bar per two-week bin."""
    top, bottom, left = 40, 210, 56
    chart = Chart(
        key="decision_times", title=_("Decision time distribution"), height=bottom + 52,
        description=_("Decisions per decision time; the table “%(table)s” holds the figures.")
        % {"table": _("Decision time distribution")},
    )
    groups = [(str(label), [int(n)]) for label, n in report.histogram_rows]
    _columns(chart, groups=groups, series=[("decisions", _("Decisions"))], top=top, bottom=bottom, left=left)
    chart.labels.append(Label(16, (top + bottom) / 2, _("Decisions"), "chart-axis-title", "middle", True))
    chart.labels.append(Label(left + (WIDTH - left) / 2, bottom + 44, _("Decision time"), "chart-axis-title",
                              "middle"))
    return chart


def limits_chart(report: Report) -> Chart:
    """Temporary limits set and refused as late, per month of the year."""
    top, bottom, left = 58, 210, 56
    chart = Chart(
        key="limits_per_month", title=_("Temporary limits per month, %(year)s") % {"year": report.year},
        height=bottom + 44,
        description=_("Limits set and refused as late per month; the table “%(table)s” holds the figures.")
        % {"table": _("Temporary limits per month")},
    )
    series = [("limits", _("Limits set")), ("late", _("Refused as late"))]
    chart.legend = _legend(series, y=34, x=left)
    groups = [
        (date_format(date(int(month[:4]), int(month[5:7]), 1), "M"), [int(n_set), int(n_late)])
        for month, n_set, n_late in report.month_rows
    ]
    _columns(chart, groups=groups, series=series, top=top, bottom=bottom, left=left)
    chart.labels.append(Label(16, (top + bottom) / 2, _("Limits"), "chart-axis-title", "middle", True))
    return chart


def report_charts(report: Report) -> list[Chart]:
    """The page's charts, in the order the page shows them."""
    return [outcomes_chart(report), decision_times_chart(report), limits_chart(report)]

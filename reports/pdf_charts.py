"""The PDF's charts, drawn with matplotlib as PNG images (no pyplot), from the report's own tables.

matplotlib is imported only when a PDF is made (report_charts_png): the page draws its charts as
plain SVG (reports.svg_charts) and must not pay matplotlib's import (about a second) on any view.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

# Outcome colours: approved, by silence, conditional, not approved.
COLOURS = ("#2e7d32", "#9e9d24", "#ef6c00", "#c62828")
MAX_BARS = 20


def _outcomes(report, new_figure):
    rows = sorted(report.outcome_rows, key=lambda r: (-r[-1], r[0]))
    rows = [r for r in rows if r[-1]][:MAX_BARS]
    fig = new_figure(figsize=(9, max(2.5, 0.32 * len(rows) + 1.2)))
    ax = fig.add_subplot()
    names = [r[0] for r in rows][::-1]
    left = [0] * len(rows)
    labels = (_("Approved"), _("Approved by silence"), _("Conditionally approved"), _("Not approved"))
    for i, (label, colour) in enumerate(zip(labels, COLOURS, strict=True)):
        values = [r[3 + i] for r in rows][::-1]
        ax.barh(names, values, left=left, color=colour, label=label)
        left = [a + b for a, b in zip(left, values, strict=True)]
    title = _("Assessments by outcome per operator")
    if len([r for r in report.outcome_rows if r[-1]]) > MAX_BARS:
        title += " " + _("(the %(n)s with most decisions)") % {"n": MAX_BARS}
    ax.set_title(title)
    ax.set_xlabel(_("Decisions"))
    if not rows:
        ax.text(0.5, 0.5, _("No decisions"), ha="center", va="center", transform=ax.transAxes)
    else:
        ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    return fig


def _histogram(report, new_figure):
    fig = new_figure(figsize=(9, 3.2))
    ax = fig.add_subplot()
    labels = [r[0] for r in report.histogram_rows]
    ax.bar(range(len(labels)), [r[1] for r in report.histogram_rows], color="#1565c0")
    ax.set_xticks(range(len(labels)), labels, fontsize="small", rotation=20)
    ax.set_title(_("Decision time distribution"))
    ax.set_ylabel(_("Decisions"))
    fig.tight_layout()
    return fig


def _months(report, new_figure):
    fig = new_figure(figsize=(9, 3.2))
    ax = fig.add_subplot()
    months = [r[0][-2:] for r in report.month_rows]
    x = range(len(months))
    ax.bar([i - 0.2 for i in x], [r[1] for r in report.month_rows], width=0.4, color="#6a1b9a",
           label=_("Limits set"))
    ax.bar([i + 0.2 for i in x], [r[2] for r in report.month_rows], width=0.4, color="#c62828",
           label=_("Refused as late"))
    ax.set_xticks(list(x), months)
    ax.set_title(_("Temporary limits per month, %(year)s") % {"year": report.year})
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


CHARTS = (("outcomes", _outcomes), ("decision_times", _histogram), ("limits_per_month", _months))


def report_charts_png(report, *, dpi: int = 110) -> list[bytes]:
    """PNG images of the charts, for the PDF."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    out = []
    for _key, draw in CHARTS:
        buffer = io.BytesIO()
        draw(report, Figure).savefig(buffer, format="png", dpi=dpi)
        out.append(buffer.getvalue())
    return out

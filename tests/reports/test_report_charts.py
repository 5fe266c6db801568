"""The report page's charts (issue 15): plain SVG from the report's own rows, no matplotlib.

Structure, not pixels: one bar segment per operator and outcome with decisions, the legend's
entries, the axes and their titles, the accessible name; a year with no decisions; numbers in
the reader's format; no inline style; and the page's process never imports matplotlib (the PDF's
does).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from reports.builder import Report
from reports.svg_charts import MAX_BARS, nice_ticks, report_charts
from tests.services import BASE_DIR

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]


def report(outcomes: list[list], *, histogram=None, months=None) -> Report:
    return Report(
        year=2025, made_at=datetime(2026, 1, 5, tzinfo=UTC), scope_label="all", tier_label="all", tables=[],
        outcome_rows=[[name, "EIC", "tier", *figures, sum(figures)] for name, *figures in outcomes],
        histogram_rows=histogram or [["0–14 days", 3], ["14–28 days", 0], ["98 days or more", 1]],
        month_rows=months or [[m, i, i % 2] for i, m in enumerate(MONTHS)],
        operator_count=len(outcomes),
    )


def svgs(html: str) -> dict[str, ET.Element]:
    """Each chart's <svg> parsed as XML, by the figure's data-chart key."""
    found = re.findall(r'<figure class="report-chart" data-chart="(\w+)">(.*?)</figure>', html, re.S)
    return {key: ET.fromstring(body) for key, body in found}


def render(charts) -> dict[str, ET.Element]:
    from django.template.loader import render_to_string

    html = "".join(
        f'<figure class="report-chart" data-chart="{c.key}">'
        + render_to_string("reports/_chart.html", {"chart": c}) + "</figure>"
        for c in charts
    )
    return svgs(html)


def bars(svg: ET.Element) -> list[ET.Element]:
    return [r for r in svg.iter(f"{SVG}rect") if "bar" in r.get("class", "").split()]


def legend(svg: ET.Element) -> list[str]:
    return [g.get("data-series") for g in svg.iter(f"{SVG}g") if g.get("class") == "legend-entry"]


def texts(svg: ET.Element, css: str) -> list[str]:
    """The texts of class `css`, a label written on two lines (<tspan>s) joined by a space."""
    return [" ".join(t.itertext()) for t in svg.iter(f"{SVG}text") if css in t.get("class", "").split()]


def test_outcome_chart_has_a_segment_per_operator_and_outcome_with_decisions():
    rows = [["Local DSO", 4, 1, 1, 1], ["TSO", 2, 0, 0, 0], ["Idle", 0, 0, 0, 0]]
    charts = render(report_charts(report(rows)))
    svg = charts["outcomes"]

    assert svg.get("role") == "img"
    assert svg.get("aria-label") == svg.find(f"{SVG}title").text == "Assessments by outcome per operator"
    assert svg.find(f"{SVG}desc").text
    segments = [(r.get("data-group"), r.get("data-series")) for r in bars(svg)]
    assert segments == [("Local DSO", "approved"), ("Local DSO", "silence"), ("Local DSO", "conditional"),
                        ("Local DSO", "refused"), ("TSO", "approved")]
    assert texts(svg, "chart-category") == ["Local DSO", "TSO"]  # most decisions first, none: left out
    assert legend(svg) == ["approved", "silence", "conditional", "refused"]
    assert texts(svg, "chart-legend-label") == [
        "Approved", "Approved by silence", "Conditionally approved", "Not approved"
    ]
    assert texts(svg, "chart-axis-title") == ["Decisions"]
    assert texts(svg, "chart-tick") == ["0", "2", "4", "6", "8"]
    assert [r.find(f"{SVG}title").text for r in bars(svg)][0] == "Local DSO, Approved: 4"
    # Widths follow the figures: the TSO's 2 approvals are half the Local DSO's 4.
    widths = {(r.get("data-group"), r.get("data-series")): float(r.get("width")) for r in bars(svg)}
    assert widths[("TSO", "approved")] == pytest.approx(widths[("Local DSO", "approved")] / 2, abs=0.1)


def test_outcome_chart_keeps_the_operators_with_most_decisions():
    rows = [[f"DSO {i:02d}", i, 0, 0, 0] for i in range(1, MAX_BARS + 6)]
    svg = render(report_charts(report(rows)))["outcomes"]

    assert len(bars(svg)) == MAX_BARS
    assert texts(svg, "chart-category")[0] == f"DSO {MAX_BARS + 5:02d}"
    assert "DSO 01" not in texts(svg, "chart-category")
    assert f"(the {MAX_BARS} with most decisions)" in svg.find(f"{SVG}title").text


def test_a_year_with_no_decisions_says_so_and_draws_no_bars():
    charts = render(report_charts(report(
        [["Local DSO", 0, 0, 0, 0]], histogram=[["0–14 days", 0], ["14–28 days", 0]],
        months=[[m, 0, 0] for m in MONTHS],
    )))

    assert bars(charts["outcomes"]) == [] and legend(charts["outcomes"]) == []
    assert texts(charts["outcomes"], "chart-empty") == ["No decisions"]
    # The other two keep their axes, with zero-height bars and a 0–1 scale.
    assert [float(r.get("height")) for r in bars(charts["decision_times"])] == [0, 0]
    assert texts(charts["decision_times"], "chart-tick") == ["0", "1"]
    assert len(bars(charts["limits_per_month"])) == 24


def test_histogram_and_limits_charts_have_their_bars_axes_and_legend():
    charts = render(report_charts(report([["Local DSO", 1, 0, 0, 0]])))
    hist, months = charts["decision_times"], charts["limits_per_month"]

    assert [r.get("data-group") for r in bars(hist)] == ["0–14 days", "14–28 days", "98 days or more"]
    assert texts(hist, "chart-category") == ["0–14 days", "14–28 days", "98 days or more"]
    assert texts(hist, "chart-axis-title") == ["Decisions", "Decision time"]
    assert hist.find(f"{SVG}title").text == "Decision time distribution"
    assert legend(months) == ["limits", "late"]
    assert texts(months, "chart-category") == [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
    ]
    assert [r.get("data-series") for r in bars(months)][:4] == ["limits", "late", "limits", "late"]
    assert months.find(f"{SVG}title").text == "Temporary limits per month, 2025"
    # December: 11 limits set, 1 refused as late.
    december = [r for r in bars(months) if r.get("data-group") == "Dec"]
    assert [r.find(f"{SVG}title").text for r in december] == [
        "Dec, Limits set: 11", "Dec, Refused as late: 1"
    ]


def test_a_category_wider_than_its_bar_is_written_on_two_lines():
    bins = [[f"{lo}–{lo + 14} days", 1] for lo in range(0, 98, 14)] + [["98 days or more", 2]]
    hist = render(report_charts(report([["Local DSO", 1, 0, 0, 0]], histogram=bins)))["decision_times"]

    last = [t for t in hist.iter(f"{SVG}text") if "chart-category" in t.get("class")][-1]
    assert [span.text for span in last.iter(f"{SVG}tspan")] == ["98 days", "or more"]
    assert texts(hist, "chart-category")[-1] == "98 days or more"


@override_settings(USE_THOUSAND_SEPARATOR=True)
def test_labels_are_translated_and_numbers_in_the_readers_format():
    rows = [["Local DSO", 12_500, 0, 0, 0]]
    with translation.override("sv"):
        charts = render(report_charts(report(rows)))
    svg = charts["outcomes"]

    assert svg.find(f"{SVG}title").text != "Assessments by outcome per operator"
    ticks = texts(svg, "chart-tick")
    assert "15\xa0000" in ticks or "15 000" in ticks, ticks
    assert texts(charts["limits_per_month"], "chart-category")[4].lower() == "maj"
    # Coordinates stay plain numbers whatever the language (localisation is off inside the SVG).
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", r.get("x")) for r in bars(svg))


def test_ticks_are_round_and_reach_the_top():
    assert nice_ticks(0) == [0, 1]
    assert nice_ticks(3) == [0, 1, 2, 3]
    assert nice_ticks(7) == [0, 2, 4, 6, 8]
    assert nice_ticks(12_500) == [0, 5000, 10000, 15000]


def test_the_page_draws_the_three_charts_as_plain_svg(client, cast):
    client.force_login(cast.nra_analyst)
    response = client.get(reverse("reports:report"), {"year": 2025})

    html = response.content.decode()
    assert set(svgs(html)) == {"outcomes", "decision_times", "limits_per_month"}
    assert " style=" not in html and "<style" not in html
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


PAGE_PROCESS = """
import json, os, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
before = "matplotlib" in sys.modules
from django.test import Client
from tests.personas import make_cast
cast = make_cast()
client = Client()
client.force_login(cast.nra_analyst)
page = client.get("/resources/report/?year=2025")
after_page = "matplotlib" in sys.modules
pdf = client.get("/resources/report/download.pdf?year=2025")
print(json.dumps({"status": [page.status_code, pdf.status_code], "svg": page.content.count(b"<svg"),
                  "before": before, "page": after_page, "pdf": "matplotlib" in sys.modules}))
"""


def test_the_page_view_never_imports_matplotlib(tmp_path):
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'page.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", PAGE_PROCESS], cwd=BASE_DIR, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert seen["status"] == [200, 200] and seen["svg"] >= 3
    assert (seen["before"], seen["page"]) == (False, False)
    assert seen["pdf"] is True  # the PDF's images still come from matplotlib

"""The report page's charts, cached (issue 15: the page within 300 ms).

matplotlib takes most of the page's time, and the charts change only when their figures do.
The key is the figures themselves (with the year and the language of the labels): the same
year, scope and data give the same key; any new decision, limit or refusal that shows in a
chart gives a new one. No invalidation to forget, nothing stale; old entries age out.
"""

from __future__ import annotations

import hashlib
import json

from django.core.cache import cache
from django.utils.translation import get_language

from reports.charts import report_charts_svg

CHART_CACHE_SECONDS = 24 * 3600
CHART_CACHE_VERSION = 1  # bump when reports.charts draws differently


def report_charts_key(report) -> str:
    """A digest of everything the charts show."""
    figures = [
        CHART_CACHE_VERSION, get_language(), report.year,
        report.outcome_rows, report.histogram_rows, report.month_rows,
        sum(1 for row in report.outcome_rows if row[-1]),
    ]
    digest = hashlib.sha256(json.dumps(figures, default=str, sort_keys=True).encode()).hexdigest()
    return f"report-charts:{digest}"


def report_charts_svg_cached(report) -> list[tuple[str, str]]:
    """reports.charts.report_charts_svg(report), drawn once per distinct set of figures."""
    key = report_charts_key(report)
    charts = cache.get(key)
    if charts is None:
        charts = report_charts_svg(report)
        cache.set(key, charts, CHART_CACHE_SECONDS)
    return [tuple(item) for item in charts]

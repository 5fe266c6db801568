"""R9 + R12: the annual report's section on congestion forecasts: per operator, the forecasts it
published and its day-ahead days on time, late and missing, the same on the page and in the CSV,
XLSX and PDF; an operator's members see their own operator only.

The forecast world (tests/forecasts/helpers.py), the report made at 2027-01-08 12:00 UTC: the local
DSO's days 6 (on time), 7 (late), 8 and 9 (missing; 10 is still due); the other local DSO published
nothing (4 days missing); the TSO and the regional DSO have no grid zones (not judged).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from tests.forecasts.helpers import DAY, PUBLISH_AT, day_rows, make_zones, publish
from tests.rules.test_r9_annual_report import _pdf_rows, parse_csv, parse_xlsx, pdf_text

pytestmark = pytest.mark.django_db
NOW = datetime(2027, 1, 8, 12, 0, tzinfo=UTC)


@pytest.fixture
def zones(cast, grid):
    return make_zones(cast)


@pytest.fixture
def published(cast, zones):
    publish(cast, day_rows("NORTH", hours=2))
    publish(cast, day_rows("NORTH", start=DAY + timedelta(days=1)), at=DAY + timedelta(hours=11))
    publish(cast, day_rows("NORTH", hours=2), at=PUBLISH_AT + timedelta(hours=3))


EXPECTED = [
    ["Local DSO", "3", "1", "1", "2", "25.00"],
    ["Other local DSO", "0", "0", "0", "4", "0.00"],
    ["Regional DSO", "0", "0", "0", "0", ""],
    ["Svenska kraftnät", "0", "0", "0", "0", ""],
    ["All operators", "3", "1", "1", "6", "12.50"],
]


def get(client, user, fmt=None):
    with time_machine.travel(NOW, tick=False):
        client.force_login(user)
        if fmt is None:
            return client.get(reverse("reports:report"), {"year": 2027})
        response = client.get(reverse("reports:report-download", args=[fmt]), {"year": 2027})
        return b"".join(response.streaming_content)


def test_the_section_is_the_same_in_every_format(cast, published, client, tmp_path):
    from_csv = parse_csv(get(client, cast.nra_analyst, "csv"))["forecasts"]
    assert from_csv == EXPECTED
    assert parse_xlsx(get(client, cast.nra_analyst, "xlsx"))["forecasts"] == EXPECTED
    lines = _pdf_rows(pdf_text(get(client, cast.nra_analyst, "pdf"), tmp_path))
    for row in EXPECTED:
        assert [c for c in row if c != ""] in lines, row
    page = get(client, cast.nra_analyst).content.decode()
    assert 'data-testid="report-forecasts"' in page and "25.00" in page and "12.50" in page


def test_an_operators_members_see_their_own_figures(cast, published, client):
    rows = parse_csv(get(client, cast.local_viewer, "csv"))["forecasts"]
    assert rows == [EXPECTED[0], ["All operators", "3", "1", "1", "2", "25.00"]]

"""The annual report's register section (SPEC R9, R11; issue 14): per operator, awards and
activations (count, MWh) and double activations refused — exact figures in every format, the
same before and after retention summarises the year, in a constant number of queries.

For the TSO (market `nordic`) in 2025, Stockholm time: awards of 0.2 MW × 1 h (starting
2025-01-01 00:30 Stockholm, still 2024 in UTC), 0.5 MW × 2 h and 0.2 MW × 1 h; one activation of
0.2 MW × 1 h; a cancelled award and an award starting 2026-01-01 00:00 Stockholm do not count.
For the local DSO (market `flex`): one activation of 0.3 MW × 1 h down, and one refused (both up
and down against the TSO's activation).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from register.services import RecordsRefused, records_cancel, records_ingest
from register.services.retention import register_retention_run
from reports.register_section import register_table
from tests.register.helpers import rec
from tests.rules.test_r9_annual_report import _pdf_rows, download, parse_csv, parse_xlsx, pdf_text

YEAR = 2025


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _send(world) -> None:
    tso, local = world.cast.tso, world.cast.local
    records_ingest(caller=world.nordic, system_operator=tso, records=[
        rec(world, "new-year", at=utc(2024, 12, 31, 23, 30)),
        rec(world, "long", at=utc(2025, 3, 10, 10), hours=2, quantity_mw="0.5"),
        rec(world, "plain", at=utc(2025, 8, 1, 10)),
        rec(world, "act", at=utc(2025, 6, 2, 10), kind="activation"),
        rec(world, "cancelled", at=utc(2025, 9, 1, 10)),
        rec(world, "next-year", at=utc(2025, 12, 31, 23)),
    ])
    records_cancel(caller=world.nordic, system_operator=tso, external_ids=["cancelled"])
    local_activation = {"kind": "activation", "direction": "down", "product": world.local_product.code}
    records_ingest(caller=world.flex, system_operator=local, records=[
        rec(world, "flex-1", at=utc(2025, 7, 1, 10), quantity_mw="0.3", **local_activation)
    ])
    with pytest.raises(RecordsRefused):
        records_ingest(caller=world.flex, system_operator=local, records=[
            rec(world, "flex-2", at=utc(2025, 6, 2, 10), **local_activation)
        ])


@pytest.fixture
def held(world):
    with time_machine.travel(utc(2025, 5, 1), tick=False):
        _send(world)
    return world


EXPECTED = {
    "Local DSO": ["Local DSO", "0", "0.00", "1", "0.30", "1"],
    "Svenska kraftnät": ["Svenska kraftnät", "3", "1.40", "1", "0.20", "0"],
    "Regional DSO": ["Regional DSO", "0", "0.00", "0", "0.00", "0"],
    "All operators": ["All operators", "3", "1.40", "2", "0.50", "1"],
}


def _register_rows(client, user, fmt: str = "csv") -> dict[str, list[str]]:
    body = b"".join(download(client, user, fmt).streaming_content)
    tables = parse_csv(body) if fmt == "csv" else parse_xlsx(body)
    return {row[0]: row for row in tables["register"]}


def test_the_csv_and_xlsx_have_every_register_figure(client, held):
    for fmt in ("csv", "xlsx"):
        rows = _register_rows(client, held.cast.nra_analyst, fmt)
        for name, expected in EXPECTED.items():
            assert rows[name] == expected, (fmt, name)


def test_the_figures_are_the_same_after_retention_summarised_the_year(client, held, settings):
    user = held.cast.nra_analyst
    before = parse_csv(b"".join(download(client, user, "csv").streaming_content))
    settings.GRIDPREQUAL_REGISTER_RETENTION_DAYS = 30

    result = register_retention_run(now=utc(2026, 3, 1))

    assert result.summarised == 6  # every current, active record of 2025 (and the next year's)
    after = parse_csv(b"".join(download(client, user, "csv").streaming_content))
    assert after["register"] == before["register"]
    assert {row[0]: row for row in after["register"]}["All operators"] == EXPECTED["All operators"]


def test_the_pdf_and_the_page_show_the_section(client, held, tmp_path):
    text = pdf_text(b"".join(download(client, held.cast.nra_analyst, "pdf").streaming_content), tmp_path)
    assert EXPECTED["Svenska kraftnät"] in _pdf_rows(text)
    response = client.get(reverse("reports:report"), {"year": YEAR})
    assert response.status_code == 200
    assert b'data-testid="report-register"' in response.content


def test_an_so_member_sees_its_own_operator_only(client, held):
    rows = _register_rows(client, held.cast.local_engineer)

    assert rows == {"Local DSO": EXPECTED["Local DSO"], "All operators": ["All operators", "0", "0.00", "1",
                                                                         "0.30", "1"]}


def test_the_section_takes_three_queries_whatever_the_register_holds(held, django_assert_num_queries):
    ops = [(so.pk, so.organisation.name, "", so.tier) for so in (held.cast.tso, held.cast.local)]
    with django_assert_num_queries(3):
        register_table(ops=ops, year=YEAR)
    more = [rec(held, f"more-{i}", at=utc(2025, 10, 1, 10) + timedelta(hours=2 * i)) for i in range(50)]
    records_ingest(caller=held.nordic, system_operator=held.cast.tso, records=more)

    with django_assert_num_queries(3):
        table = register_table(ops=ops, year=YEAR)

    assert list(table.rows())[0][1] == 53

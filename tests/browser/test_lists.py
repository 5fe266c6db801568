"""Sort, search and export the SO queue in real Chromium (issue 15): click a column header (and again
to turn the order round), type a search, then download the current filter as CSV (plain and for
Excel) and XLSX and read the files' rows back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import ConnectionPointFactory, SpuFactory
from tests.lists.helpers import csv_rows, xlsx_rows
from tests.services import chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests-1")
    with page.expect_navigation():
        page.click("main button[type=submit], main input[type=submit]")


def _codes(page) -> list[str]:
    """The SPU codes of the queue's rows, as shown (the second cell reads "SPU <code> …")."""
    cells = page.locator("table[data-testid=queue] tbody tr td:nth-child(2)").all_inner_texts()
    return [cell.split()[1] for cell in cells]


def _download(page, testid: str) -> bytes:
    with page.expect_download() as info:
        page.click(f"[data-testid={testid}]")
    return Path(info.value.path()).read_bytes()


def test_sort_search_and_export_the_queue(live_server, wf):
    for code in ("M-20", "Z-30", "A-10", "M-40"):
        wf.submitted(spu=SpuFactory(
            fsp=wf.cast.fsp_a, code=code, connection_point=ConnectionPointFactory(connecting_so=wf.cast.local)
        ))
    base = live_server.url
    with chromium() as browser:
        page = browser.new_page(accept_downloads=True)
        _log_in(page, base, "local_engineer")
        page.goto(f"{base}/resources/queue/")

        with page.expect_navigation():
            page.click("a[data-sort=resource]")
        assert _codes(page) == ["A-10", "M-20", "M-40", "Z-30"]
        with page.expect_navigation():
            page.click("a[data-sort=resource]")  # again: the other way round
        assert _codes(page) == ["Z-30", "M-40", "M-20", "A-10"]

        page.fill("input[name=q]", "m-")
        with page.expect_navigation():
            page.press("input[name=q]", "Enter")
        assert _codes(page) == ["M-40", "M-20"]  # the search keeps the sort
        assert "sort=-resource" in page.url and "q=m-" in page.url

        plain = csv_rows(_download(page, "export-csv"))
        excel = csv_rows(_download(page, "export-csv-excel"), excel=True)
        workbook = xlsx_rows(_download(page, "export-xlsx"))
        for header, *rows in (plain, excel, workbook):
            column = header.index("SPU / SPG")
            assert [row[column] for row in rows] == ["SPU M-40", "SPU M-20"]
            assert {row[header.index("Assessing SO")] for row in rows} == {"Local DSO"}
        assert plain[0] == excel[0] == workbook[0]

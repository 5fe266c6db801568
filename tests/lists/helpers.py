"""Reading the lists' downloads back (tests/lists/, the permission matrix's export rows, the browser)."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

# Every list page (issue 15) and the role that has rows on it in the tests' worlds.
LIST_PAGES = (
    "prequal:queue", "prequal:case-list", "prequal:spu-list", "prequal:spg-list",
    "observability:connection-point-list", "limits:limit-list", "observability:area-list",
)


def body_of(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(body: bytes, *, excel: bool = False) -> list[list[str]]:
    """The rows of a plain (comma, no BOM) or Excel (semicolon, BOM) CSV; fails on the other kind."""
    if excel:
        assert body.startswith(b"\xef\xbb\xbf"), "the Excel variant starts with a BOM"
        text = body[3:].decode("utf-8")
    else:
        assert not body.startswith(b"\xef\xbb\xbf"), "the plain variant has no BOM"
        text = body.decode("utf-8")
    return list(csv.reader(io.StringIO(text), delimiter=";" if excel else ","))


def xlsx_rows(body: bytes) -> list[list]:
    ws = load_workbook(io.BytesIO(body)).worksheets[0]
    return [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]


def export_rows(response, fmt: str) -> list[list]:
    """The export's rows (header first) for ?export=csv, csv-excel or xlsx."""
    assert response.status_code == 200, response.status_code
    body = body_of(response)
    if fmt == "xlsx":
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        return xlsx_rows(body)
    assert response["Content-Type"].startswith("text/csv")
    return csv_rows(body, excel=fmt == "csv-excel")

"""Every CSV download comes plain (comma, UTF-8, decimal point) and for Excel (semicolon, UTF-8 with
a BOM, decimal comma), through one writer (common/exports.py): the list exports, the annual
report's CSV, the SPU import template and the register's template."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import time_machine
from django.urls import reverse

from common.exports import EXCEL, PLAIN, csv_cell, csv_text, with_numbers
from tests.lists.helpers import body_of, csv_rows
from tests.personas import login


def test_one_row_in_both_variants():
    row = ["Nätområde Öst", Decimal("1500.500"), 2.5, 3, None, "=1+1", "a;b", "x,y",
           datetime(2027, 1, 15, 23, 30, tzinfo=UTC)]

    assert csv_text([row], variant=PLAIN) == (
        "Nätområde Öst,1500.5,2.50,3,,'=1+1,a;b,\"x,y\",2027-01-16 00:30\r\n"
    )
    assert csv_text([row], variant=EXCEL) == (
        "\ufeffNätområde Öst;1500,5;2,50;3;;'=1+1;\"a;b\";x,y;2027-01-16 00:30\r\n"
    )


def test_cells_never_start_a_formula_after_a_separator():
    assert csv_cell("x;@SUM(A1);-2") == "x;'@SUM(A1);'-2"
    assert csv_cell("06:00–08:00, Mon; Tue") == "06:00–08:00, Mon; Tue"
    assert csv_cell(Decimal("1E+3"), variant=EXCEL) == "1000"


def test_numbers_in_a_template_are_read_as_numbers_only_where_named():
    rows = list(with_numbers([["code", "kw"], ["007", "1.5"], ["B", ""]], columns=["kw"]))
    assert rows == [["code", "kw"], ["007", Decimal("1.5")], ["B", ""]]
    assert csv_text(rows, variant=EXCEL) == "\ufeffcode;kw\r\n007;1,5\r\nB;\r\n"


def _both(client, url: str, **params) -> tuple[list[list[str]], list[list[str]], dict]:
    plain = client.get(url, params)
    excel = client.get(url, {**params, "variant": "excel"})
    assert plain.status_code == excel.status_code == 200
    names = {"plain": plain["Content-Disposition"], "excel": excel["Content-Disposition"]}
    return csv_rows(body_of(plain)), csv_rows(body_of(excel), excel=True), names


def test_the_spu_import_template_comes_in_both_variants(client, cast, registry):
    login(client, cast.fsp_a_user)
    plain, excel, names = _both(client, reverse("prequal:import-template"))

    assert plain[0] == excel[0] and len(plain) == len(excel) == 2
    example = dict(zip(plain[0], plain[1], strict=True))
    for_excel = dict(zip(excel[0], excel[1], strict=True))
    assert (example["x"], for_excel["x"]) == ("18.0686", "18,0686")
    assert (example["max_up_kw"], for_excel["max_up_kw"]) == ("500", "500")
    assert example["gsrn"] == for_excel["gsrn"] and example["crs"] == for_excel["crs"] == "4326"
    assert names["excel"].endswith('-excel.csv"') and names["plain"].endswith('template.csv"')
    page = client.get(reverse("prequal:import")).content.decode()
    assert f'href="{reverse("prequal:import-template")}?variant=excel"' in page


def test_the_register_template_comes_in_both_variants(client, cast):
    login(client, cast.local_engineer)
    plain, excel, _names = _both(client, reverse("register:upload-template"))

    assert plain[0] == excel[0] and len(plain) == len(excel) == 3
    column = plain[0].index("quantity_mw")
    assert [r[column] for r in plain[1:]] == ["2.5", "1.5"]
    assert [r[column] for r in excel[1:]] == ["2,5", "1,5"]
    page = client.get(reverse("register:upload")).content.decode()
    assert f'href="{reverse("register:upload-template")}?variant=excel"' in page


def test_the_annual_report_csv_comes_in_both_variants_with_the_same_figures(client, grid):
    grid.prequalify(spu=grid.spu)  # a decision, so the report has decision times (decimals)
    url = reverse("reports:report-download", args=["csv"])
    with time_machine.travel(datetime(2027, 12, 1, tzinfo=UTC), tick=False):
        login(client, grid.cast.nra_analyst)
        plain, excel, names = _both(client, url, year=2027)

    assert len(plain) == len(excel) > 5
    decimals = 0
    for plain_row, excel_row in zip(plain, excel, strict=True):
        for p, x in zip(plain_row, excel_row, strict=True):
            if p.replace(".", "", 1).isdigit() and "." in p:
                decimals += 1
                assert x == p.replace(".", ","), (p, x)
            else:
                assert x == p
    assert decimals > 0
    assert names["excel"].endswith('-excel.csv"')
    with time_machine.travel(datetime(2027, 12, 1, tzinfo=UTC), tick=False):
        page = client.get(reverse("reports:report"), {"year": 2027}).content.decode()
    assert "variant=excel" in page

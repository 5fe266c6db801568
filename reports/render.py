"""The renderers of the annual report: CSV (streamed), XLSX (to a temporary file); PDF in reports.pdf.

All three walk the same Table objects from reports.builder, row by row, so the figures
are the same and memory stays flat: the CSV is a generator, openpyxl writes in write-only
mode, the PDF is drawn straight on a reportlab canvas.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from common.exports import FORMULA_FIRST, PLAIN, CsvVariant, csv_lines, neutralise
from reports.builder import Report, Value

__all__ = ["neutralise", "report_csv_lines", "report_xlsx_write", "temporary_path"]

# --- CSV ----------------------------------------------------------------------------------


def _report_rows(report: Report) -> Iterator[list[Value]]:
    yield ["table", _("Field"), _("Value")]
    for field, value in report.meta_rows:
        yield ["report", str(field), value]
    for table in report.tables:
        yield ["table", *(str(c) for c in table.columns)]
        for row in table.rows():
            yield [table.key, *row]


def report_csv_lines(report: Report, *, variant: CsvVariant = PLAIN) -> Iterator[str]:
    """One CSV file for every table: the first column names the table; each table starts
    with its own header row whose first cell is `table`. Plain (comma, decimal point) or for
    Excel (semicolon, BOM, decimal comma): common.exports, the writer of every download."""
    return csv_lines(_report_rows(report), variant=variant)


# --- XLSX ---------------------------------------------------------------------------------


def report_xlsx_write(report: Report, path: Path) -> None:
    """One sheet per table (and a first sheet about the report), in write-only mode."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    wb = Workbook(write_only=True)

    def header(ws, titles) -> None:
        cells = []
        for title in titles:
            cell = _xlsx_text(ws, str(title))
            cell.font = bold
            cells.append(cell)
        ws.append(cells)

    ws = wb.create_sheet("report")
    header(ws, [_("Field"), _("Value")])
    for field, value in report.meta_rows:
        ws.append([_xlsx_cell(ws, str(field)), _xlsx_cell(ws, value)])
    for table in report.tables:
        ws = wb.create_sheet(table.key[:31])
        for i, width in enumerate(table.widths):
            ws.column_dimensions[_column_letter(i)].width = 9 * width
        header(ws, table.columns)
        for row in table.rows():
            ws.append([_xlsx_cell(ws, v) for v in row])
    wb.save(path)


def _xlsx_cell(ws, value: Value):
    """Floats carry two decimals as the other formats show them; text that would start a
    formula is stored as text (a cell does not split in a workbook: only its start matters)."""
    if value.__class__ is str:
        return _xlsx_text(ws, value) if value and value[0] in FORMULA_FIRST else value
    if isinstance(value, float):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "0.00"
        return cell
    return value


def _xlsx_text(ws, text: str):
    """A text cell, never a formula, shown as written: typed as a string and marked with
    Excel's quote prefix (so editing it keeps it text), with no apostrophe in the value."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def temporary_path(suffix: str) -> Path:
    """A named temporary file the caller streams and then deletes."""
    handle = tempfile.NamedTemporaryFile(prefix="gridprequal-report-", suffix=suffix, delete=False)
    handle.close()
    return Path(handle.name)

"""The renderers of the annual report: CSV (streamed), XLSX (to a temporary file); PDF in reports.pdf.

All three walk the same Table objects from reports.builder, row by row, so the figures
are the same and memory stays flat: the CSV is a generator, openpyxl writes in write-only
mode, the PDF is drawn straight on a reportlab canvas.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from reports.builder import Report, Value, cell_text

# A text cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
# Where a spreadsheet program may split a CSV cell in two: the comma, and the semicolon that
# Swedish (and most European) Excel takes as the separator; a part may start after spaces or a quote.
_SPLIT_THEN_FORMULA = re.compile(r"([,;])(?=[ \"]*[=+\-@\t\r])")


def neutralise(text: str) -> str:
    """CSV safety: a single quote before the cell's start, and before each part a spreadsheet
    program could split off at a comma or semicolon, where it would start a formula."""
    if not text:
        return text
    if text[0] in _FORMULA_FIRST:
        text = "'" + text
    if "," in text or ";" in text:
        text = _SPLIT_THEN_FORMULA.sub(r"\1'", text)
    return text


def _csv_cell(value: Value) -> str:
    """cell_text() then neutralise(), with the common cases first (called for every cell)."""
    if value.__class__ is str:
        if value and (value[0] in _FORMULA_FIRST or "," in value or ";" in value):
            return neutralise(value)
        return value
    return neutralise(cell_text(value))


# --- CSV ----------------------------------------------------------------------------------


class _Line:
    def write(self, value: str) -> str:
        return value


def report_csv_lines(report: Report) -> Iterator[str]:
    """One CSV file for every table: the first column names the table; each table starts
    with its own header row whose first cell is `table`."""
    writer = csv.writer(_Line())
    yield "\ufeff"  # so spreadsheet programs read the file as UTF-8
    yield writer.writerow(["table", _("Field"), _("Value")])
    for field, value in report.meta_rows:
        yield writer.writerow(["report", neutralise(str(field)), neutralise(cell_text(value))])
    for table in report.tables:
        yield writer.writerow(["table", *(neutralise(str(c)) for c in table.columns)])
        for row in table.rows():
            yield writer.writerow([table.key, *map(_csv_cell, row)])


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
        return _xlsx_text(ws, value) if value and value[0] in _FORMULA_FIRST else value
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

"""One writer for every download: CSV in two variants, and XLSX.

- plain CSV: comma, UTF-8, decimal point (what programs and scripts read);
- Excel CSV: semicolon, UTF-8 with a byte-order mark, decimal comma (what Swedish and most
  European Excel installations open with a double click, columns and numbers intact).

Text cells are neutralised the same way in both (a cell a spreadsheet program would take as a
formula gets a leading quote), and XLSX cells are typed as text, so a search string or a name
with `=HYPERLINK(...)` in it stays text. Read by the list exports (common.listing), the annual
report's CSV, and the import templates.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A text cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_FIRST = frozenset(FORMULA_STARTS)
# Where a spreadsheet program may split a CSV cell in two: the comma, and the semicolon that
# Swedish (and most European) Excel takes as the separator; a part may start after spaces or a quote.
_SPLIT_THEN_FORMULA = re.compile(r"([,;])(?=[ \"]*[=+\-@\t\r])")


@dataclass(frozen=True)
class CsvVariant:
    key: str  # in URLs: ?export=csv or ?export=csv-excel, /template.csv?variant=excel
    delimiter: str
    bom: bool
    decimal: str


PLAIN = CsvVariant(key="csv", delimiter=",", bom=False, decimal=".")
EXCEL = CsvVariant(key="csv-excel", delimiter=";", bom=True, decimal=",")
CSV_VARIANTS = {PLAIN.key: PLAIN, EXCEL.key: EXCEL, "excel": EXCEL}


def csv_variant(name: str | None) -> CsvVariant:
    """The variant named in a request (`excel` or `csv-excel`); anything else is plain."""
    return CSV_VARIANTS.get(name or "", PLAIN)


def neutralise(text: str) -> str:
    """CSV safety: a single quote before the cell's start, and before each part a spreadsheet
    program could split off at a comma or semicolon, where it would start a formula."""
    if not text:
        return text
    if text[0] in FORMULA_FIRST:
        text = "'" + text
    if "," in text or ";" in text:
        text = _SPLIT_THEN_FORMULA.sub(r"\1'", text)
    return text


def with_numbers(rows: Iterable[Sequence], *, columns: Iterable[str]) -> Iterator[list]:
    """Rows whose first is the header, with the named columns' text read as numbers (so the
    Excel variant writes them with a decimal comma); cells that are not numbers stay as they are."""
    rows = iter(rows)
    header = list(next(rows, []))
    yield header
    numeric = {i for i, name in enumerate(header) if name in set(columns)}
    for row in rows:
        yield [_number_or_text(value) if i in numeric else value for i, value in enumerate(row)]


def _number_or_text(value):
    try:
        return Decimal(value) if isinstance(value, str) and value.strip() else value
    except ArithmeticError:
        return value


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def number_text(value: int | float | Decimal, *, decimal: str = ".") -> str:
    """A number as text with the variant's decimal mark: floats with two decimals, decimals as stored
    without trailing zeros (1500.000 kW reads 1500)."""
    if isinstance(value, bool) or isinstance(value, int):
        return str(int(value))
    text = f"{value:.2f}" if isinstance(value, float) else format(value.normalize(), "f")
    return text.replace(".", decimal) if decimal != "." else text


def csv_cell(value, *, variant: CsvVariant = PLAIN) -> str:
    """One cell's text: numbers with the variant's decimal mark, times in the current time zone
    (Europe/Stockholm by default), text neutralised."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return number_text(value, decimal=variant.decimal)
    if isinstance(value, datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text and (text[0] in FORMULA_FIRST or "," in text or ";" in text):
        return neutralise(text)
    return text


class _Line:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence], *, variant: CsvVariant = PLAIN) -> Iterator[str]:
    """The file line by line (a generator: streamed, flat memory); cells through csv_cell()."""
    writer = csv.writer(_Line(), delimiter=variant.delimiter, lineterminator="\r\n")
    if variant.bom:
        yield "\ufeff"  # so Excel reads the file as UTF-8
    for row in rows:
        yield writer.writerow([csv_cell(value, variant=variant) for value in row])


def csv_text(rows: Iterable[Sequence], *, variant: CsvVariant = PLAIN) -> str:
    return "".join(csv_lines(rows, variant=variant))


def _disposition(filename: str) -> str:
    return f'attachment; filename="{filename}"'


def csv_response(
    rows: Iterable[Sequence], *, filename: str, variant: CsvVariant = PLAIN, stream: bool = True
) -> HttpResponse | StreamingHttpResponse:
    """A CSV download, streamed (a whole list) or in one piece (`stream=False`: a small template);
    `filename` without its extension gets `.csv` (or `-excel.csv`)."""
    lines = csv_lines(rows, variant=variant)
    content_type = "text/csv; charset=utf-8"
    if stream:
        response = StreamingHttpResponse((line.encode("utf-8") for line in lines), content_type=content_type)
    else:
        response = HttpResponse("".join(lines).encode("utf-8"), content_type=content_type)
    suffix = "-excel.csv" if variant is EXCEL else ".csv"
    response["Content-Disposition"] = _disposition(f"{filename}{suffix}")
    return response


def _xlsx_cell(ws, value):
    if isinstance(value, datetime):
        # Excel has no time zones: the local wall-clock time, as on the page.
        value = _local(value).replace(tzinfo=None)
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if value is None or isinstance(value, int | float | Decimal | date):
        return value
    # Text stays text: typed as a string and marked with Excel's quote prefix, never a formula.
    cell = WriteOnlyCell(ws, value=str(value))
    cell.data_type = "s"
    if cell.value and cell.value[0] in FORMULA_FIRST:
        cell.quotePrefix = True
    return cell


def xlsx_bytes(rows: Iterable[Sequence], *, sheet: str) -> bytes:
    """A workbook with one sheet (write-only mode: rows are not kept in memory as cells)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    bold = Font(bold=True)
    rows = iter(rows)
    ws.append([_xlsx_header(ws, value, bold) for value in next(rows, [])])
    for row in rows:
        ws.append([_xlsx_cell(ws, value) for value in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _xlsx_header(ws, value, bold):
    cell = _xlsx_cell(ws, str(value))
    cell.font = bold
    return cell


def xlsx_response(rows: Iterable[Sequence], *, filename: str, sheet: str) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(rows, sheet=sheet), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = _disposition(f"{filename}.xlsx")
    return response

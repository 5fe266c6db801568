"""The report's three downloads as HTTP responses: one home for the page's links and the API."""

from __future__ import annotations

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from common.exports import EXCEL, PLAIN, CsvVariant
from reports.annual import Report, report_filename
from reports.pdf import report_pdf_write
from reports.pdf_charts import report_charts_png
from reports.render import report_csv_lines, report_xlsx_write, temporary_path
from reports.selectors import REPORT_TIME_ZONE

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def report_file_response(report: Report, fmt: str, *, variant: CsvVariant = PLAIN) -> HttpResponse:
    """The report as a dated attachment: the CSV streamed (plain, or for Excel: semicolons, a BOM
    and decimal commas, common.exports), the XLSX and PDF from a temporary file."""
    filename = report_filename(
        year=report.year, extension=fmt, made=timezone.localtime(report.made_at, REPORT_TIME_ZONE).date()
    )
    if fmt == "csv":
        if variant is EXCEL:
            filename = filename.removesuffix(".csv") + "-excel.csv"
        lines = report_csv_lines(report, variant=variant)
        response = StreamingHttpResponse(lines, content_type=CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    path = temporary_path(f".{fmt}")
    if fmt == "xlsx":
        report_xlsx_write(report, path)
    else:
        report_pdf_write(report, path, charts=report_charts_png(report))
    handle = path.open("rb")
    path.unlink()  # the open handle keeps the data until the response is closed (POSIX)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=CONTENT_TYPES[fmt])

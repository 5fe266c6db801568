"""The annual report page and its CSV, XLSX and PDF downloads (SPEC R9).

NRA analysts see every operator, SO members their own; anyone else gets 404. The figures come
from reports.annual (one builder); these views only pick the year, operator and tier.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from common.exports import EXCEL, csv_variant
from common.pagination import paginate
from reports.annual import cell_text, report_filename, report_for_user
from reports.charts import report_charts_png, report_charts_svg
from reports.decisions import conditional_and_refused, decision_rows
from reports.forms import ReportFilterForm
from reports.pdf import report_pdf_write
from reports.render import report_csv_lines, report_xlsx_write, temporary_path
from reports.selectors import (
    REPORT_TIME_ZONE,
    report_decisions,
    report_operators_for_user,
    report_years_for_user,
)

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _choices(request: HttpRequest) -> tuple[ReportFilterForm, dict | None]:
    """The filter form and, when it is valid, the report's parameters.

    An operator outside the user's scope is a 404 (not a form error): the page does not
    confirm that the operator exists.
    """
    operators = report_operators_for_user(user=request.user)  # 404 without report access
    raw_operator = request.GET.get("operator", "")
    if raw_operator.isdigit():
        report_operators_for_user(user=request.user, operator=int(raw_operator))
    years = report_years_for_user(user=request.user)
    this_year = timezone.localtime(timezone.now(), REPORT_TIME_ZONE).year
    data = request.GET.copy()
    if not data.get("year"):
        data["year"] = str(years[0] if years else this_year)
    asked = [int(data["year"])] if data["year"].isdigit() else []
    shown = sorted({*years, this_year, *asked}, reverse=True)
    form = ReportFilterForm(data, operators=operators, years=shown)
    if not form.is_valid():
        return form, None
    operator = form.cleaned_data["operator"]
    return form, {
        "year": form.cleaned_data["year"],
        "operator": operator.pk if operator else None,
        "tier": form.cleaned_data["tier"] or None,
    }


def _cells(row) -> list[tuple[str, bool]]:
    return [(cell_text(v), isinstance(v, int | float)) for v in row]


@login_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    form, params = _choices(request)
    context = {"filter_form": form, "report": None}
    if params is not None:
        built = report_for_user(user=request.user, **params)
        operators = report_operators_for_user(
            user=request.user, operator=params["operator"], tier=params["tier"]
        )
        decisions = conditional_and_refused(report_decisions(operators=operators, year=params["year"]))
        page = paginate(request, decisions)
        tables = [t for t in built.tables if t.key != "conditional_and_refused"]
        context.update({
            "report": built,
            "tables": [(t, [_cells(row) for row in t.rows()]) for t in tables],
            "decision_table": built.table("conditional_and_refused"),
            "page_obj": page,
            "decision_rows": decision_rows(list(page)),
            "charts": report_charts_svg(built),
            "query": request.GET.urlencode(),
        })
    return render(request, "reports/report.html", context)


@login_required
@require_GET
def report_download(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404
    form, params = _choices(request)
    if params is None:
        return render(request, "reports/report.html", {"filter_form": form, "report": None}, status=400)
    built = report_for_user(user=request.user, **params)
    filename = report_filename(
        year=params["year"], extension=fmt, made=timezone.localtime(built.made_at, REPORT_TIME_ZONE).date()
    )
    if fmt == "csv":
        # ?variant=excel: semicolons, a BOM and decimal commas (common.exports)
        variant = csv_variant(request.GET.get("variant"))
        if variant is EXCEL:
            filename = filename.removesuffix(".csv") + "-excel.csv"
        response = StreamingHttpResponse(
            report_csv_lines(built, variant=variant), content_type=CONTENT_TYPES[fmt]
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    path = temporary_path(f".{fmt}")
    if fmt == "xlsx":
        report_xlsx_write(built, path)
    else:
        report_pdf_write(built, path, charts=report_charts_png(built))
    handle = path.open("rb")
    path.unlink()  # the open handle keeps the data until the response is closed (POSIX)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=CONTENT_TYPES[fmt])

"""The annual report page and its CSV, XLSX and PDF downloads (SPEC R9).

NRA analysts see every operator, SO members their own; anyone else gets 404. The figures come
from reports.annual (one builder); these views only pick the year, operator and tier.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from common.exports import csv_variant
from common.pagination import paginate
from reports.annual import report_for_user
from reports.decisions import conditional_and_refused, decision_rows
from reports.downloads import CONTENT_TYPES, report_file_response
from reports.html import decision_rows_html, table_body_html
from reports.params import report_params_from_query
from reports.svg_charts import report_charts


@login_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    form, params = report_params_from_query(user=request.user, query=request.GET)
    context = {"filter_form": form, "report": None}
    if params is not None:
        built = report_for_user(user=request.user, **params)
        page = paginate(request, conditional_and_refused(built.decisions))
        tables = [t for t in built.tables if t.key != "conditional_and_refused"]
        context.update({
            "report": built,
            "tables": [(t, table_body_html(t)) for t in tables],
            "decision_table": built.table("conditional_and_refused"),
            "page_obj": page,
            "decision_rows": decision_rows_html(
                decision_rows(list(page), localized=True),
                columns=len(built.table("conditional_and_refused").columns),
            ),
            "charts": report_charts(built),
            "query": request.GET.urlencode(),
        })
    return render(request, "reports/report.html", context)


@login_required
@require_GET
def report_download(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404
    form, params = report_params_from_query(user=request.user, query=request.GET)
    if params is None:
        return render(request, "reports/report.html", {"filter_form": form, "report": None}, status=400)
    # ?variant=excel: semicolons, a BOM and decimal commas (common.exports)
    variant = csv_variant(request.GET.get("variant"))
    return report_file_response(report_for_user(user=request.user, **params), fmt, variant=variant)

"""REST API: the annual report to the regulator (SPEC R9) as JSON and as its three downloads.

The same builder as the page (reports.annual.report_for_user) and the same scope: NRA analysts
read every operator, SO members their own operator's figures; anyone else, and an operator
outside the caller's scope, gets 404.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import Pagination, StrictInputSerializer
from common.schema import ErrorOutputSerializer
from observability.models import SystemOperator
from reports.annual import Report, report_for_user
from reports.decisions import conditional_and_refused, decision_rows
from reports.downloads import CONTENT_TYPES, report_file_response
from reports.params import report_default_year, report_operator_in_scope
from reports.selectors import report_operators_for_user, report_years_for_user

LIST_KEY = "conditional_and_refused"


class ReportQuerySerializer(StrictInputSerializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    operator = serializers.IntegerField(min_value=1, required=False)
    tier = serializers.ChoiceField(choices=SystemOperator.Tier.choices, required=False)


class ReportPageQuerySerializer(ReportQuerySerializer):
    # The page of the conditional and refused decisions (JSON only).
    page = serializers.IntegerField(min_value=1, required=False)
    page_size = serializers.IntegerField(min_value=1, max_value=Pagination.max_page_size, required=False)


class _TableSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField(child=serializers.JSONField()))


class _DecisionPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    title = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    results = serializers.ListField(child=serializers.ListField(child=serializers.JSONField()))


class ReportOutputSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    made_at = serializers.DateTimeField()
    scope = serializers.CharField(source="scope_label")
    tier = serializers.CharField(source="tier_label")
    tables = _TableSerializer(many=True)
    conditional_and_refused = _DecisionPageSerializer()


QUERY_PARAMETERS = [
    OpenApiParameter("year", int, description="The report's year (default: the newest with decisions)."),
    OpenApiParameter("operator", int, description="One operator's id (default: all you may read)."),
    OpenApiParameter("tier", str, enum=SystemOperator.Tier.values, description="This tier only."),
]


def _report_for_request(request: Request, *, query_class: type[ReportQuerySerializer]) -> Report:
    """The scoped report for the query (404 without access or for an operator out of scope;
    400 with a message per parameter for bad or unknown ones)."""
    report_operators_for_user(user=request.user)  # 404 without report access
    report_operator_in_scope(user=request.user, raw_operator=request.query_params.get("operator"))
    query = query_class(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    data = query.validated_data
    year = data.get("year") or report_default_year(years=report_years_for_user(user=request.user))
    return report_for_user(user=request.user, year=year, operator=data.get("operator"), tier=data.get("tier"))


class ReportApi(APIView):
    @extend_schema(
        operation_id="annual_report",
        summary="The annual report to the regulator (JSON)",
        description=(
            "Per operator and year (SPEC R9): assessments by outcome, decision times and missed "
            "deadlines, the decision-time distribution, temporary limits (per operator and per month), "
            "the activation register and congestion forecasts, each a table of `columns` and `rows`; "
            "and one page of the conditional and refused decisions (`page`, `page_size`). The same "
            "figures as the report page and the CSV, XLSX and PDF downloads. NRA analysts read every "
            "operator; SO members their own operator; anyone else gets 404."
        ),
        parameters=[
            *QUERY_PARAMETERS,
            OpenApiParameter("page", int, description="Page of the conditional and refused decisions."),
            OpenApiParameter("page_size", int, description="Rows per page (at most 500)."),
        ],
        responses={
            200: ReportOutputSerializer,
            404: OpenApiResponse(
                ErrorOutputSerializer, description="Not an NRA analyst or a member of the operator."
            ),
        },
    )
    def get(self, request: Request) -> Response:
        report = _report_for_request(request, query_class=ReportPageQuerySerializer)
        paginator = Pagination()
        page = paginator.paginate_queryset(conditional_and_refused(report.decisions), request, view=self)
        listed = report.table(LIST_KEY)
        body = {
            "year": report.year,
            "made_at": report.made_at,
            "scope_label": report.scope_label,
            "tier_label": report.tier_label,
            "tables": [
                {"key": t.key, "title": t.title, "columns": t.columns, "rows": list(t.rows())}
                for t in report.tables if t.key != LIST_KEY
            ],
            "conditional_and_refused": {
                "count": paginator.page.paginator.count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "title": listed.title,
                "columns": listed.columns,
                "results": decision_rows(list(page)),
            },
        }
        return Response(ReportOutputSerializer(body).data)


class ReportDownloadApi(APIView):
    @extend_schema(
        operation_id="annual_report_download",
        summary="The annual report as a CSV, XLSX or PDF file",
        description=(
            "`csv`: one file, the first column names the table (UTF-8 with BOM); `xlsx`: one sheet per "
            "table; `pdf`: the tables with charts. The same figures as the JSON and the page, with a "
            "dated filename. Scoped as the JSON."
        ),
        parameters=[
            OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=list(CONTENT_TYPES)),
            *QUERY_PARAMETERS,
        ],
        responses={
            (200, content_type.split(";")[0]): OpenApiResponse(OpenApiTypes.BINARY)
            for content_type in CONTENT_TYPES.values()
        } | {400: inline_serializer("ReportDownloadError", {"detail": serializers.CharField()})},
    )
    def get(self, request: Request, fmt: str):
        if fmt not in CONTENT_TYPES:
            raise Http404
        report = _report_for_request(request, query_class=ReportQuerySerializer)
        return report_file_response(report, fmt)

"""Who assesses connection points, for an API client (SPEC R1): the resolver of observability
plus the procuring SO of a product, which is prequal's.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from observability.selectors import connection_point_get_for_user, connection_point_list_for_user
from prequal.selectors.points import assessing_so_rows
from prequal.selectors.resources import product_get_by_code

MAX_POINTS_PER_QUERY = 10_000


class AssessingSoSerializer(serializers.Serializer):
    """One row of prequal.selectors.points.assessing_so_rows."""

    system_operator = serializers.IntegerField(source="so.pk")
    system_operator_name = serializers.CharField(source="so.name")
    eic_code = serializers.CharField(source="so.eic_code")
    tier = serializers.CharField(source="so.tier")
    reasons = serializers.ListField(child=serializers.CharField(), source="reason_codes")
    area_version_ids = serializers.ListField(child=serializers.IntegerField())


class PointAssessingSosSerializer(serializers.Serializer):
    connection_point = serializers.IntegerField()
    gsrn = serializers.CharField()
    assessing_sos = AssessingSoSerializer(many=True)


def _resolve(*, points, product_code: str | None, at) -> list[dict]:
    procuring = product_get_by_code(code=product_code).procuring_so if product_code else None
    rows = assessing_so_rows(points=points, procuring_so=procuring, at=at)
    return [{"connection_point": p.pk, "gsrn": p.gsrn, "assessing_sos": rows[p.pk]} for p in points]


class AssessingSosApi(APIView):
    """Which SOs assess these connection points, and why (SPEC R1)."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AssessingSosQueryInput"

        connection_points = serializers.ListField(
            child=serializers.CharField(max_length=18),
            min_length=1,
            max_length=MAX_POINTS_PER_QUERY,
            help_text="Connection point ids or 18-digit GSRNs.",
        )
        product = serializers.CharField(required=False, allow_blank=True, help_text="Product code.")
        at = serializers.DateTimeField(required=False, help_text="Instant to resolve at; default now.")

    @extend_schema(
        operation_id="assessing_sos_query",
        summary="Assessing SOs for many connection points",
        request=InputSerializer,
        responses=PointAssessingSosSerializer(many=True),
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        refs = data["connection_points"]
        ids = {int(r) for r in refs if r.isdigit() and len(r) < 18}
        gsrns = {r for r in refs if r.isdigit() and len(r) == 18}
        bad = [r for r in refs if not r.isdigit()]
        visible = connection_point_list_for_user(user=request.user)
        found = list(visible.filter(pk__in=ids)) + list(visible.filter(gsrn__in=gsrns))
        by_ref = {str(p.pk): p for p in found} | {p.gsrn: p for p in found}
        missing = [r for r in refs if r not in by_ref and r not in bad]
        if bad or missing:
            raise ValidationError(
                {
                    "connection_points": [
                        _("%(ref)s is not a connection point id or an 18-digit GSRN.") % {"ref": r}
                        for r in bad
                    ]
                    + [_("No connection point %(ref)s that you may see.") % {"ref": r} for r in missing]
                }
            )
        points = list({by_ref[r].pk: by_ref[r] for r in refs}.values())
        rows = _resolve(points=points, product_code=data.get("product"), at=data.get("at"))
        return Response(PointAssessingSosSerializer(rows, many=True).data)


class ConnectionPointAssessingSosApi(APIView):
    @extend_schema(
        operation_id="connection_point_assessing_sos",
        summary="Assessing SOs for one connection point",
        parameters=[OpenApiParameter("product", str, description="Product code (adds its procuring SO)")],
        responses=PointAssessingSosSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        point = connection_point_get_for_user(user=request.user, pk=pk)
        rows = _resolve(points=[point], product_code=request.query_params.get("product"), at=None)
        return Response(PointAssessingSosSerializer(rows[0]).data)

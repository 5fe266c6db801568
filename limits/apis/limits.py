"""REST API: temporary limits (R7): list, publish, change and lift them.

Reads go through limits.selectors (outsiders get 404), writes through limits.services
(read-only members get 403).
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import InstantField, StrictInputSerializer, errors_renamed
from common.text import REASON_MAX_LENGTH
from limits.models import LimitStatus, TargetKind, TemporaryLimit
from limits.selectors import (
    limit_events,
    limit_forecast_cited,
    limit_get_for_user,
    limit_issuers_for_user,
    limit_list_for_user,
)
from limits.services import (
    TARGET_INPUT_FIELDS,
    limit_capacity_flag_for_user,
    limit_create,
    limit_lift,
    limit_target_find,
    limit_update,
    limit_values_errors,
)
from prequal.models import Direction

# --- output -------------------------------------------------------------------------------


class LimitOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    system_operator = serializers.IntegerField(source="system_operator_id")
    system_operator_eic = serializers.CharField(source="system_operator.organisation.eic_code")
    target_kind = serializers.ChoiceField(choices=TargetKind.choices)
    spu = serializers.IntegerField(source="spu_id", allow_null=True)
    spg = serializers.IntegerField(source="spg_id", allow_null=True)
    connection_point_gsrn = serializers.SerializerMethodField()
    area = serializers.SerializerMethodField()
    direction = serializers.ChoiceField(choices=Direction.choices)
    quantity_mw = serializers.DecimalField(max_digits=10, decimal_places=3)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=LimitStatus.choices)
    reason = serializers.CharField()
    latest_allowed_at = serializers.DateTimeField(allow_null=True)
    created_by = serializers.CharField(source="created_by.username")
    created_at = serializers.DateTimeField()
    lifted_at = serializers.DateTimeField(allow_null=True)
    lifted_by = serializers.CharField(source="lifted_by.username", allow_null=True, default=None)
    forecast_publication = serializers.IntegerField(
        source="forecast_publication_id", allow_null=True,
        help_text="The congestion forecast publication the limit cites (R12), if any.",
    )
    forecast_zone = serializers.IntegerField(
        source="forecast_zone_id", allow_null=True, help_text="The grid zone of it cited, if any."
    )

    def get_connection_point_gsrn(self, limit) -> str | None:
        return limit.connection_point.gsrn if limit.connection_point_id else None

    def get_area(self, limit) -> dict | None:
        import json

        return json.loads(limit.area_geojson) if limit.area_geojson else None


class LimitAnswerSerializer(LimitOutputSerializer):
    """One limit as answered to its publisher: with the capacity flag (lists leave it out)."""

    exceeds_capacity = serializers.BooleanField(
        source="capacity_flag.exceeds", allow_null=True,
        help_text="The quantity is more than the target's capacity in the direction: the limit has no "
        "effect. A warning, not a refusal; false for an area (not judged); empty for readers outside "
        "the issuing SO.",
    )
    capacity_mw = serializers.DecimalField(
        source="capacity_flag.capacity_mw", max_digits=12, decimal_places=3, allow_null=True,
        help_text="The target's capacity in the direction (SPU: its maximum; SPG: its current members'; "
        "connection point: its SPUs'); empty for an area.",
    )

    class Meta:
        ref_name = "LimitAnswer"


def _answer(serializer_class, limit: TemporaryLimit, *, user) -> dict:
    limit.capacity_flag = limit_capacity_flag_for_user(user=user, limit=limit)
    return serializer_class(limit).data


class LimitEventOutputSerializer(serializers.Serializer):
    action = serializers.CharField()
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor.username")
    before = serializers.JSONField()
    after = serializers.JSONField()


class LimitFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[*LimitStatus.choices, ("current", "Active or upcoming")], method="filter_noop"
    )
    target_kind = django_filters.ChoiceFilter(choices=TargetKind.choices)
    spu = django_filters.NumberFilter(field_name="spu_id")
    spg = django_filters.NumberFilter(field_name="spg_id")
    connection_point_gsrn = django_filters.CharFilter(field_name="connection_point__gsrn")
    system_operator_eic = django_filters.CharFilter(field_name="system_operator__organisation__eic_code")

    class Meta:
        model = TemporaryLimit
        fields = ["status", "target_kind", "spu", "spg", "connection_point_gsrn", "system_operator_eic"]

    def filter_noop(self, queryset, name, value):
        return queryset  # applied by the selector


class LimitListCreateApi(ListAPIView):
    """Temporary limits the user may see: SOs their own, FSPs those on their resources, NRA all."""

    serializer_class = LimitOutputSerializer
    filterset_class = LimitFilter

    class InputSerializer(StrictInputSerializer):
        system_operator_eic = serializers.CharField(
            required=False, help_text="Only for engineers of several operators: which one issues the limit."
        )
        target_kind = serializers.ChoiceField(choices=TargetKind.choices)
        spu = serializers.IntegerField(required=False, help_text="The SPU's id (target_kind=spu).")
        spg = serializers.IntegerField(required=False, help_text="The SPG's id (target_kind=spg).")
        connection_point_gsrn = serializers.CharField(
            required=False, help_text="target_kind=connection_point"
        )
        area = serializers.JSONField(
            required=False,
            help_text="target_kind=area: a GeoJSON Polygon/MultiPolygon (or Feature) in WGS84; "
            "stored clipped to the operator's observability area.",
        )
        direction = serializers.ChoiceField(choices=Direction.choices)
        quantity_mw = serializers.DecimalField(max_digits=10, decimal_places=3, coerce_to_string=False)
        start = InstantField()
        end = InstantField()
        reason = serializers.CharField(max_length=REASON_MAX_LENGTH)
        forecast_publication = serializers.IntegerField(
            required=False,
            help_text="Cite the congestion forecast that motivated the limit: a publication id of the "
            "issuing operator (R12).",
        )
        forecast_zone = serializers.CharField(
            required=False, help_text="With forecast_publication: the code of the grid zone in it."
        )

        class Meta:
            ref_name = "LimitCreateInput"

    def get_queryset(self):
        return limit_list_for_user(user=self.request.user, status=self.request.query_params.get("status"))

    @extend_schema(operation_id="limits_list", summary="List temporary limits")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="limits_create",
        summary="Publish a temporary limit (R7: refused when later than the latest allowed time)",
        request=InputSerializer,
        responses={201: LimitAnswerSerializer},
    )
    def post(self, request: Request) -> Response:
        issuers = list(limit_issuers_for_user(user=request.user))
        if not issuers:
            raise PermissionDenied
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        so = _issuer(issuers, data.pop("system_operator_eic", None))
        kind = data.pop("target_kind")
        try:
            targets = limit_target_find(
                kind=kind,
                spu_id=data.pop("spu", None),
                spg_id=data.pop("spg", None),
                gsrn=data.pop("connection_point_gsrn", None),
                area=data.pop("area", None),
            )
        except ValidationError as exc:
            values = {k: data.get(k) for k in ("direction", "quantity_mw", "start", "end", "reason")}
            raise ValidationError({**exc.message_dict, **limit_values_errors(**values)}) from exc
        field = TARGET_INPUT_FIELDS[kind]
        with errors_renamed({"target": field, "target_kind": field}):
            limit = limit_create(user=request.user, system_operator=so, target_kind=kind, **targets, **data)
        limit = limit_get_for_user(user=request.user, pk=limit.pk)
        data = _answer(LimitAnswerSerializer, limit, user=request.user)
        return Response(data, status=status.HTTP_201_CREATED)


def _issuer(issuers, eic: str | None):
    if eic:
        for so in issuers:
            if so.organisation.eic_code == eic:
                return so
        raise ValidationError(
            {
                "system_operator_eic": _("You are not an engineer of an operator with EIC %(eic)s.")
                % {"eic": eic}
            }
        )
    if len(issuers) > 1:
        raise ValidationError(
            {"system_operator_eic": _("You work for several operators: say which one issues it.")}
        )
    return issuers[0]


class LimitDetailApi(APIView):
    class InputSerializer(StrictInputSerializer):
        unchangeable_fields = (
            "id",
            "target_kind",
            "spu",
            "spg",
            "connection_point_gsrn",
            "area",
            "system_operator",
        )
        direction = serializers.ChoiceField(choices=Direction.choices, required=False)
        quantity_mw = serializers.DecimalField(
            max_digits=10, decimal_places=3, coerce_to_string=False, required=False
        )
        start = InstantField(required=False)
        end = InstantField(required=False)
        reason = serializers.CharField(required=False, max_length=REASON_MAX_LENGTH)

        class Meta:
            ref_name = "LimitUpdateInput"

    class DetailOutputSerializer(LimitAnswerSerializer):
        events = serializers.SerializerMethodField()
        forecast = serializers.SerializerMethodField()

        class Meta:
            ref_name = "LimitDetail"

        def get_forecast(self, limit) -> dict | None:
            """The cited forecast (R12): its publication and zone, or null."""
            cited = limit_forecast_cited(limit=limit)
            return None if cited is None else {
                "publication": cited.publication.pk,
                "horizon": cited.publication.horizon,
                "published_at": serializers.DateTimeField().to_representation(cited.publication.published_at),
                "zone_code": cited.zone.code if cited.zone else None,
                "zone_name": cited.zone_name,
            }

        def get_events(self, limit) -> list[dict]:
            return LimitEventOutputSerializer(limit_events(limit=limit), many=True).data

    @extend_schema(
        operation_id="limits_retrieve", summary="One limit with its history", responses=DetailOutputSerializer
    )
    def get(self, request: Request, pk: int) -> Response:
        limit = limit_get_for_user(user=request.user, pk=pk)
        return Response(_answer(self.DetailOutputSerializer, limit, user=request.user))

    @extend_schema(
        operation_id="limits_partial_update",
        summary="Change a limit (R7 applies to what it tightens)",
        request=InputSerializer,
        responses=DetailOutputSerializer,
    )
    def patch(self, request: Request, pk: int) -> Response:
        limit = limit_get_for_user(user=request.user, pk=pk, write=True)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        limit_update(user=request.user, limit=limit, **serializer.validated_data)
        limit = limit_get_for_user(user=request.user, pk=pk)
        return Response(_answer(self.DetailOutputSerializer, limit, user=request.user))


class LimitLiftApi(APIView):
    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "LimitLiftInput"

    @extend_schema(
        operation_id="limits_lift",
        summary="Lift a limit now (always allowed)",
        request=InputSerializer,
        responses=LimitOutputSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        limit = limit_get_for_user(user=request.user, pk=pk, write=True)
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        limit = limit_lift(user=request.user, limit=limit)
        return Response(LimitOutputSerializer(limit_get_for_user(user=request.user, pk=pk)).data)

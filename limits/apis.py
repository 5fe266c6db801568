"""REST API: temporary limits (R7) and the activation check (R8).

Reads go through limits.selectors (outsiders get 404), writes through limits.services
(read-only members get 403). Errors come back as JSON with a message per field.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

import django_filters
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_aware, make_aware
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException, AuthenticationFailed, NotAuthenticated, ParseError
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils import encoders
from rest_framework.views import APIView

from common.api import StrictInputSerializer, errors_renamed, exception_handler
from limits.activation import GREEN, RED, YELLOW, activation_check
from limits.authentication import FastTokenAuthentication, token_key_from_header
from limits.models import LimitStatus, TargetKind, TemporaryLimit
from limits.selectors import (
    activation_caller_kind,
    activation_resource_get,
    activation_system_operator_by_eic,
    connection_point_by_gsrn,
    limit_events,
    limit_get_for_user,
    limit_issuers_for_user,
    limit_list_for_user,
    product_by_code,
    spg_by_id,
    spu_by_id,
)
from limits.services import limit_create, limit_lift, limit_update, limit_values_errors
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

    def get_connection_point_gsrn(self, limit) -> str | None:
        return limit.connection_point.gsrn if limit.connection_point_id else None

    def get_area(self, limit) -> dict | None:
        import json

        return json.loads(limit.area_geojson) if limit.area_geojson else None


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
        start = serializers.DateTimeField()
        end = serializers.DateTimeField()
        reason = serializers.CharField()

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
        responses={201: LimitOutputSerializer},
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
            targets = _targets(kind, data)
        except ValidationError as exc:
            values = {k: data.get(k) for k in ("direction", "quantity_mw", "start", "end", "reason")}
            raise ValidationError({**exc.message_dict, **limit_values_errors(**values)}) from exc
        field = {
            TargetKind.SPU: "spu",
            TargetKind.SPG: "spg",
            TargetKind.CONNECTION_POINT: "connection_point_gsrn",
            TargetKind.AREA: "area",
        }[kind]
        with errors_renamed({"target": field, "target_kind": field}):
            limit = limit_create(user=request.user, system_operator=so, target_kind=kind, **targets, **data)
        limit = limit_get_for_user(user=request.user, pk=limit.pk)
        return Response(LimitOutputSerializer(limit).data, status=status.HTTP_201_CREATED)


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


def _targets(kind: str, data: dict) -> dict:
    """Look the target up; an unknown one is an error on its field."""
    spu_id, spg_id = data.pop("spu", None), data.pop("spg", None)
    gsrn, area = data.pop("connection_point_gsrn", None), data.pop("area", None)
    if kind == TargetKind.SPU:
        spu = spu_by_id(pk=spu_id) if spu_id is not None else None
        if spu is None:
            raise ValidationError({"spu": _("Give the id of an existing SPU.")})
        return {"spu": spu}
    if kind == TargetKind.SPG:
        spg = spg_by_id(pk=spg_id) if spg_id is not None else None
        if spg is None:
            raise ValidationError({"spg": _("Give the id of an existing SPG.")})
        return {"spg": spg}
    if kind == TargetKind.CONNECTION_POINT:
        point = connection_point_by_gsrn(gsrn=gsrn) if gsrn else None
        if point is None:
            raise ValidationError(
                {"connection_point_gsrn": _("Give the GSRN of a registered connection point.")}
            )
        return {"connection_point": point}
    if area is None:
        raise ValidationError({"area": _("Give the area as a GeoJSON Polygon or MultiPolygon.")})
    return {"area": area}


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
        start = serializers.DateTimeField(required=False)
        end = serializers.DateTimeField(required=False)
        reason = serializers.CharField(required=False)

        class Meta:
            ref_name = "LimitUpdateInput"

    class DetailOutputSerializer(LimitOutputSerializer):
        events = serializers.SerializerMethodField()

        class Meta:
            ref_name = "LimitDetail"

        def get_events(self, limit) -> list[dict]:
            return LimitEventOutputSerializer(limit_events(limit=limit), many=True).data

    @extend_schema(
        operation_id="limits_retrieve", summary="One limit with its history", responses=DetailOutputSerializer
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.DetailOutputSerializer(limit_get_for_user(user=request.user, pk=pk)).data)

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
        return Response(self.DetailOutputSerializer(limit_get_for_user(user=request.user, pk=pk)).data)


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


# --- the activation check ----------------------------------------------------------------------


def verdict_conditions(verdict) -> list[dict]:
    return [
        {
            "id": c.pk,
            "system_operator": c.so_id,
            "description": c.describe(),
            "max_up_mw": c.max_up_mw,
            "max_down_mw": c.max_down_mw,
        }
        for c in verdict.conditions
    ]


def verdict_limits(verdict) -> list[dict]:
    return [
        {
            "id": x.pk,
            "system_operator": x.system_operator_id,
            "target_kind": x.target_kind,
            "direction": x.direction,
            "quantity_mw": x.quantity_mw,
            "start": x.start,
            "end": x.effective_end,
            "reason": x.reason,
        }
        for x in verdict.limits
    ]


class ActivationCheckApi(APIView):
    """R8: may SO X activate SPU/SPG Y for product P, direction D, Q MW, over [start, end)?

    Callers: SO engineers and viewers (as their own operator), market platform clients and NRA
    analysts (as any operator), FSP users (for their own resources).
    """

    authentication_classes = [FastTokenAuthentication, SessionAuthentication]
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    renderer_classes = [JSONRenderer]

    class InputSerializer(StrictInputSerializer):
        system_operator = serializers.CharField(help_text="EIC code of the activating system operator.")
        spu = serializers.IntegerField(required=False, help_text="SPU id (give spu or spg).")
        spg = serializers.IntegerField(required=False, help_text="SPG id (give spu or spg).")
        product = serializers.CharField(help_text="Product code, e.g. mfrr-energy.")
        direction = serializers.ChoiceField(choices=Direction.choices)
        quantity_mw = serializers.DecimalField(max_digits=10, decimal_places=3, coerce_to_string=False)
        start = serializers.DateTimeField()
        end = serializers.DateTimeField()

        class Meta:
            ref_name = "ActivationCheckInput"

        def validate(self, attrs):
            if ("spu" in attrs) == ("spg" in attrs):
                raise serializers.ValidationError({"spu": [_("Give either spu or spg (one of them).")]})
            return attrs

    class OutputSerializer(serializers.Serializer):
        color = serializers.ChoiceField(choices=[(GREEN, GREEN), (YELLOW, YELLOW), (RED, RED)])
        reasons = serializers.ListField(child=serializers.CharField())
        max_quantity_mw = serializers.DecimalField(max_digits=12, decimal_places=3)
        requested_quantity_mw = serializers.DecimalField(max_digits=12, decimal_places=3)
        direction = serializers.CharField()
        case = serializers.IntegerField(source="case_id", allow_null=True)
        case_status = serializers.CharField()
        conditions = serializers.SerializerMethodField()
        limits = serializers.SerializerMethodField()

        class Meta:
            ref_name = "ActivationCheckResult"

        def get_conditions(self, verdict) -> list[dict]:
            return verdict_conditions(verdict)

        def get_limits(self, verdict) -> list[dict]:
            return verdict_limits(verdict)

    FIELDS = ("system_operator", "spu", "spg", "product", "direction", "quantity_mw", "start", "end")

    @classmethod
    def parse(cls, data) -> dict:
        """The input, checked like InputSerializer would (same fields and messages), by hand.

        Market platforms call this per bid: instantiating a DRF serializer (it deep-copies its
        fields) cost more than the rules. InputSerializer still documents the input.
        """
        errors: dict[str, list[str]] = {}
        required = _("This field is required.")
        if not isinstance(data, Mapping):
            raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        for name in data:
            if name not in cls.FIELDS:
                errors[name] = [_("Unknown field.")]
        values: dict = {}
        for name in ("system_operator", "product"):
            value = data.get(name)
            if value in (None, ""):
                errors[name] = [required]
            else:
                values[name] = str(value).strip()
        for name in ("spu", "spg"):
            value = data.get(name)
            if value in (None, ""):
                continue
            try:
                values[name] = int(value)
            except (TypeError, ValueError):
                errors[name] = [_("A valid integer is required.")]
        if not errors.get("spu") and not errors.get("spg") and ("spu" in values) == ("spg" in values):
            errors["spu"] = [_("Give either spu or spg (one of them).")]
        direction = data.get("direction")
        if direction in (None, ""):
            errors["direction"] = [required]
        elif direction not in Direction.values:
            errors["direction"] = [_('"%(value)s" is not a valid choice.') % {"value": direction}]
        else:
            values["direction"] = direction
        quantity = data.get("quantity_mw")
        try:
            if quantity in (None, ""):
                errors["quantity_mw"] = [required]
            else:
                number = Decimal(str(quantity).strip())
                if not number.is_finite() or number.as_tuple().exponent < -3 or abs(number) >= 10**7:
                    raise InvalidOperation
                values["quantity_mw"] = number
        except (InvalidOperation, ValueError):
            errors["quantity_mw"] = [_("A number in MW with at most 3 decimals is required.")]
        for name in ("start", "end"):
            value = data.get(name)
            parsed = None
            if value in (None, ""):
                errors[name] = [required]
                continue
            try:
                parsed = parse_datetime(str(value).strip())
            except ValueError:
                parsed = None
            if parsed is None:
                errors[name] = [_("Give an ISO 8601 date and time, e.g. 2026-03-29T08:00:00Z.")]
                continue
            values[name] = parsed if is_aware(parsed) else make_aware(parsed)
        if errors:
            raise ValidationError(errors)
        return values

    @staticmethod
    def render(verdict) -> dict:
        """The answer (the shape of OutputSerializer), built by hand for the same reason."""
        return {
            "color": verdict.color,
            "reasons": [str(r) for r in verdict.reasons],
            "max_quantity_mw": f"{verdict.max_quantity_mw:.3f}",
            "requested_quantity_mw": f"{verdict.requested_quantity_mw:.3f}",
            "direction": verdict.direction,
            "case": verdict.case_id,
            "case_status": verdict.case_status,
            "conditions": verdict_conditions(verdict),
            "limits": verdict_limits(verdict),
        }

    @classmethod
    def answer(cls, *, user, data) -> dict:
        """The answer for this caller and input; ValidationError / PermissionDenied otherwise."""
        caller = activation_caller_kind(user=user)
        if caller is None:
            raise PermissionDenied
        data = cls.parse(data)
        errors = {}
        so = activation_system_operator_by_eic(user=user, caller=caller, eic=data["system_operator"])
        if so is None:
            errors["system_operator"] = [_("No system operator with this EIC code that you may ask as.")]
        product = product_by_code(code=data["product"])
        if product is None:
            errors["product"] = [_("No active product with this code.")]
        resource = activation_resource_get(
            user=user,
            caller=caller,
            spu_id=data.get("spu"),
            spg_id=data.get("spg"),
            product_id=product.pk if product is not None else None,
        )
        if resource is None:
            errors["spu" if "spu" in data else "spg"] = [_("No such resource that you may check.")]
        if errors:
            raise ValidationError(errors)
        verdict = activation_check(
            system_operator=so,
            resource=resource,
            product=product,
            direction=data["direction"],
            quantity_mw=data["quantity_mw"],
            start=data["start"],
            end=data["end"],
        )
        return cls.render(verdict)

    @classmethod
    def as_view(cls, **initkwargs):
        """DRF's view, with a lean path in front for token clients (SPEC §7: a check per bid).

        A request with `Authorization: Token <key>` and a JSON body (POST) or query parameters
        (GET) is answered by `answer_for_token` without DRF's request wrapping, content
        negotiation and dispatch; the same `answer` and the same JSON in success and in error.
        Every other request (session users, forms, malformed headers, other methods) goes
        through DRF as before. The schema still documents this class.
        """
        drf_view = super().as_view(**initkwargs)

        def view(request, *args, **kwargs):
            key = token_key_from_header(request)
            if key is not None and (
                request.method == "GET"
                or (request.method == "POST" and request.content_type == "application/json")
            ):
                return cls.answer_for_token(request, key=key)
            return drf_view(request, *args, **kwargs)

        return functools.wraps(drf_view)(view)  # keeps cls, initkwargs, csrf_exempt

    @classmethod
    def answer_for_token(cls, request, *, key: str) -> HttpResponse:
        try:
            user, _token = FastTokenAuthentication().authenticate_credentials(key)
            if request.method == "GET":
                data = request.GET.dict()
            else:
                try:
                    data = json.loads(request.body)
                except ValueError as exc:
                    raise ParseError(_("JSON parse error - %s") % exc) from exc
            payload = cls.answer(user=user, data=data)
        except (APIException, ValidationError, PermissionDenied) as exc:
            return _error_response(exc, key_scheme=FastTokenAuthentication.keyword)
        return HttpResponse(
            json.dumps(payload, cls=encoders.JSONEncoder, ensure_ascii=False, separators=(",", ":")),
            content_type="application/json",
        )

    @extend_schema(
        operation_id="activation_check",
        summary="Activation check (traffic light)",
        request=InputSerializer,
        responses=OutputSerializer,
    )
    def post(self, request: Request) -> Response:
        return Response(self.answer(user=request.user, data=request.data))

    @extend_schema(
        operation_id="activation_check_get",
        summary="Activation check with query parameters",
        parameters=[
            OpenApiParameter(name, str, required=name not in ("spu", "spg"))
            for name in (
                "system_operator",
                "spu",
                "spg",
                "product",
                "direction",
                "quantity_mw",
                "start",
                "end",
            )
        ],
        responses=OutputSerializer,
    )
    def get(self, request: Request) -> Response:
        return Response(self.answer(user=request.user, data=request.query_params.dict()))


def _error_response(exc, *, key_scheme: str) -> HttpResponse:
    """An error of the lean path, as DRF and common.api.exception_handler would answer it."""
    response = exception_handler(exc, {})
    if isinstance(exc, AuthenticationFailed | NotAuthenticated):
        response["WWW-Authenticate"] = key_scheme
    response.accepted_renderer = JSONRenderer()
    response.accepted_media_type = "application/json"
    response.renderer_context = {"response": response}
    return response.render()

"""REST API: the activation check (R8), and its lean path for token clients (SPEC §7).

The answer is the same JSON on both paths, in success and in error.
"""

from __future__ import annotations

import functools
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import (
    APIException,
    AuthenticationFailed,
    NotAuthenticated,
    NotFound,
    ParseError,
)
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils import encoders
from rest_framework.views import APIView

from common.api import InstantField, StrictInputSerializer, exception_handler
from common.exceptions import ApplicationError
from common.parsers import FormParser, JSONParser, MultiPartParser, refuse_nul
from limits.activation import GREEN, RED, YELLOW, activation_check
from limits.activation.access import PLATFORM, activation_caller, activation_resource_for
from limits.activation.double import Asked
from limits.activation.reserve import activation_reserve
from limits.apis.activation_input import FIELDS, ID_MAX, ID_MIN, check_input_parse
from limits.authentication import FastTokenAuthentication, token_key_from_header
from limits.selectors import product_by_code, system_operator_by_eic
from prequal.models import Direction

# --- the activation check ----------------------------------------------------------------------


def verdict_conditions(verdict) -> list[dict]:
    """The binding conditions; another operator's (SPEC §4) without its id, operator and text."""
    rows = []
    for c in verdict.conditions:
        shown = verdict.readable.condition(c)
        rows.append(
            {
                "id": c.pk if shown else None,
                "system_operator": c.so_id if shown else None,
                "description": c.describe() if shown else _("A condition of another system operator."),
                "max_up_mw": c.max_up_mw,
                "max_down_mw": c.max_down_mw,
            }
        )
    return rows


def verdict_limits(verdict) -> list[dict]:
    """The binding limits; another operator's (SPEC §4) without its id, operator and reason."""
    rows = []
    for x in verdict.limits:
        shown = verdict.readable.limit(x)
        rows.append(
            {
                "id": x.pk if shown else None,
                "system_operator": x.system_operator_id if shown else None,
                "target_kind": x.target_kind,
                "direction": x.direction,
                "quantity_mw": x.quantity_mw,
                "start": x.start,
                "end": x.effective_end,
                "reason": x.reason if shown else None,
            }
        )
    return rows


class ReservationOutputSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    quantity_mw = serializers.DecimalField(max_digits=12, decimal_places=3)
    created = serializers.BooleanField(help_text="False: the same reservation was registered already.")
    batch = serializers.IntegerField(help_text="The register batch of the award (its audit row).")

    class Meta:
        ref_name = "ActivationReservation"


class ActivationCheckApi(APIView):
    """R8: may SO X activate SPU/SPG Y for product P, direction D, Q MW, over [start, end)?

    Callers (limits/activation/access.py, SPEC §4): SO engineers and viewers as their own
    operator, market platform clients as the operators they are registered for, NRA analysts as
    any operator, FSP users about their own resources; the operator asked as must procure the
    product or assess the resource (else 404).

    With `"reserve": true` and the caller's own `external_id` (POST only), what the check allows
    is registered as the caller's award in the same transaction, under the locks of the point
    and area limits that apply (limits.activation.reserve); only callers that write to the
    register for that operator may reserve (403 otherwise).
    """

    authentication_classes = [FastTokenAuthentication, SessionAuthentication]
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    renderer_classes = [JSONRenderer]

    class InputSerializer(StrictInputSerializer):
        system_operator = serializers.CharField(help_text="EIC code of the activating system operator.")
        spu = serializers.IntegerField(
            required=False, min_value=ID_MIN, max_value=ID_MAX, help_text="SPU id (give spu or spg)."
        )
        spg = serializers.IntegerField(
            required=False, min_value=ID_MIN, max_value=ID_MAX, help_text="SPG id (give spu or spg)."
        )
        product = serializers.CharField(help_text="Product code, e.g. mfrr-energy.")
        direction = serializers.ChoiceField(choices=Direction.choices)
        quantity_mw = serializers.DecimalField(max_digits=10, decimal_places=3, coerce_to_string=False)
        start = InstantField()
        end = InstantField()
        reserve = serializers.BooleanField(
            required=False, default=False,
            help_text="Register what the check allows as your award, atomically (SPEC R11; POST only).",
        )
        external_id = serializers.CharField(
            required=False, max_length=100, help_text="Your own id of the award to register (with reserve)."
        )

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
        reservation = ReservationOutputSerializer(
            allow_null=True, help_text="The award registered (with reserve); null when nothing was reserved."
        )

        class Meta:
            ref_name = "ActivationCheckResult"

        def get_conditions(self, verdict) -> list[dict]:
            return verdict_conditions(verdict)

        def get_limits(self, verdict) -> list[dict]:
            return verdict_limits(verdict)

    FIELDS = FIELDS

    @classmethod
    def parse(cls, data) -> dict:
        """The input, checked like InputSerializer would (same fields and messages), by hand.

        Market platforms call this per bid: instantiating a DRF serializer (it deep-copies its
        fields) cost more than the rules. InputSerializer still documents the input.
        """
        return check_input_parse(data)

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
            "reservation": reservation_json(getattr(verdict, "reservation", None)),
        }

    @classmethod
    def answer(cls, *, user, data, may_write: bool = True) -> dict:
        """The answer for this caller and input; ValidationError / PermissionDenied / NotFound.

        SPEC §4: a caller asks only as an operator it may ask as, about a resource that operator
        assesses or for a product it procures; otherwise the resource is not found (404), as
        on the resource's own endpoint.
        """
        caller = activation_caller(user=user)
        if caller is None:
            raise PermissionDenied
        data = cls.parse(data)
        product = product_by_code(code=data["product"])
        if product is None:
            raise ValidationError({"product": [_("No active product with this code.")]})
        so = system_operator_by_eic(eic=data["system_operator"])
        resource = None
        if so is not None and caller.may_ask_as(so):
            resource = activation_resource_for(
                caller=caller,
                system_operator=so,
                product=product,
                spu_id=data.get("spu"),
                spg_id=data.get("spg"),
                # What the resource holds comes in the same statement (one less per check), but
                # for a reservation, which reads it under its locks.
                holdings_period=None if data.get("reserve") else (data["start"], data["end"]),
            )
        if resource is None:
            raise NotFound(
                _(
                    "No such resource to check: ask as your own system operator, about a resource it "
                    "assesses or for a product it procures."
                )
            )
        asked = {name: data[name] for name in ("direction", "quantity_mw", "start", "end")}
        if not data.get("reserve"):
            verdict = activation_check(
                system_operator=so, resource=resource, product=product, caller=caller, **asked,
                # A platform asks as its market (SPEC R11: within it, awards and activations do not add up).
                asked=Asked(sender_id=user.pk if caller.kind == PLATFORM else None, system_operator_id=so.pk),
            )
            return cls.render(verdict)
        if not may_write:
            raise ValidationError({"reserve": [_("Reserve with POST: a GET changes nothing.")]})
        verdict, verdict.reservation = activation_reserve(
            user=user, caller=caller, system_operator=so, resource=resource, product=product,
            external_id=data["external_id"], **asked,
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
            response = cls.token_answer(request)
            return drf_view(request, *args, **kwargs) if response is None else response

        return functools.wraps(drf_view)(view)  # keeps cls, initkwargs, csrf_exempt

    @classmethod
    def token_answer(cls, request) -> HttpResponse | None:
        """The lean path's answer (`answer_for_token`), or None when the request is not one it
        takes (no well-formed token header, another method, a POST body that is not JSON).
        The lean entry calls `answer_for_token` beneath the middleware chain (config.lean_handler)."""
        key = token_key_from_header(request)
        json_post = request.method == "POST" and request.content_type == "application/json"
        if key is not None and (request.method == "GET" or json_post):
            return cls.answer_for_token(request, key=key)
        return None

    @classmethod
    def answer_for_token(cls, request, *, key: str) -> HttpResponse:
        try:
            user, _token = FastTokenAuthentication().authenticate_credentials(key)
            if request.method == "GET":
                data = refuse_nul(request.GET.dict())  # the lean process has no NUL middleware
            else:
                try:
                    data = json.loads(request.body)
                except ValueError as exc:
                    raise ParseError(_("JSON parse error - %s") % exc) from exc
                refuse_nul(data, body=request.body)  # as common.parsers.JSONParser on DRF's path
            payload = cls.answer(user=user, data=data, may_write=request.method == "POST")
        except (APIException, ValidationError, PermissionDenied, ApplicationError) as exc:
            return _error_response(exc, key_scheme=FastTokenAuthentication.keyword)
        return HttpResponse(
            json.dumps(payload, cls=encoders.JSONEncoder, ensure_ascii=False, separators=(",", ":")),
            content_type="application/json",
        )

    @extend_schema(
        operation_id="activation_check",
        summary="Activation check (traffic light)",
        description=(
            "May the system operator activate the SPU or SPG for the product, direction, quantity and "
            "period (SPEC R8)? Limits on a connection point or an area bound the sum held there: the "
            "answer gives their headroom (SPEC R11). With reserve: true and your own external_id, what "
            "the check allows (min of requested and largest allowed) is registered as your award in the "
            "same transaction, atomically with the headroom it used: `reservation` names it, null when "
            "red. Sending the same reservation again registers it once."
        ),
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
        return Response(self.answer(user=request.user, data=request.query_params.dict(), may_write=False))


def reservation_json(reservation) -> dict | None:
    if reservation is None:
        return None
    return {"external_id": reservation.external_id, "quantity_mw": f"{reservation.quantity_mw:.3f}",
            "created": reservation.created, "batch": reservation.batch_id}


def _error_response(exc, *, key_scheme: str) -> HttpResponse:
    """An error of the lean path, as DRF and common.api.exception_handler would answer it."""
    response = exception_handler(exc, {})
    if isinstance(exc, AuthenticationFailed | NotAuthenticated):
        response["WWW-Authenticate"] = key_scheme
    response.accepted_renderer = JSONRenderer()
    response.accepted_media_type = "application/json"
    response.renderer_context = {"response": response}
    return response.render()

"""REST API of the activation register (SPEC R11) under /api/register/.

Market platform clients (with their token) send batches for the operators they are registered
for, SO engineers for their own operator; reads are scoped by register.selectors. A batch is
all or nothing: a refusal names every bad record by its index (400), or, when every refusal is
a conflict (the same external id with other content, a double activation), answers 409.
"""

from __future__ import annotations

from collections.abc import Mapping

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import InstantFilter
from observability.models import SystemOperator
from prequal.models import Direction
from register.models import RecordKind, RecordRevision, RecordStatus
from register.selectors import record_get_for_user, record_list_for_user, record_revisions
from register.services import IngestResult, RecordsRefused, records_cancel, records_ingest
from register.services.parsing import MAX_BATCH


class RecordOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="record_id", help_text="The record's id in gridprequal.")
    external_id = serializers.CharField(source="record.external_id")
    system_operator_eic = serializers.CharField(source="record.system_operator.organisation.eic_code")
    sender = serializers.CharField(source="record.sender.username")
    revision = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RecordStatus.choices)
    kind = serializers.ChoiceField(choices=RecordKind.choices)
    spu = serializers.IntegerField(source="spu_id", allow_null=True)
    spg = serializers.IntegerField(source="spg_id", allow_null=True)
    product = serializers.CharField(source="product.code")
    direction = serializers.ChoiceField(choices=Direction.choices)
    quantity_mw = serializers.DecimalField(max_digits=10, decimal_places=3)
    start = serializers.DateTimeField(source="period_start")
    end = serializers.DateTimeField(source="period_end")
    recorded_at = serializers.DateTimeField(source="created_at")

    class Meta:
        ref_name = "RegisterRecord"


class RevisionOutputSerializer(RecordOutputSerializer):
    external_id = None
    system_operator_eic = None
    sender = None
    id = None
    batch = serializers.IntegerField(source="batch_id")
    recorded_by = serializers.CharField(source="batch.actor.username")

    class Meta:
        ref_name = "RegisterRevision"


class RecordInputSerializer(serializers.Serializer):
    """One award or activation as sent (documentation: the service checks every field)."""

    external_id = serializers.CharField(max_length=100, help_text="The platform's own id of the record.")
    kind = serializers.ChoiceField(choices=RecordKind.choices)
    spu = serializers.IntegerField(required=False, help_text="The SPU's id; or spu_code with fsp_eic.")
    spg = serializers.IntegerField(required=False, help_text="The SPG's id; or spg_code with fsp_eic.")
    spu_code = serializers.CharField(required=False, help_text="The SPU's code at its FSP (with fsp_eic).")
    spg_code = serializers.CharField(required=False, help_text="The SPG's code at its FSP (with fsp_eic).")
    fsp_eic = serializers.CharField(
        required=False, help_text="The FSP's EIC code, with spu_code or spg_code."
    )
    product = serializers.CharField(help_text="Product code, e.g. mfrr-energy.")
    direction = serializers.ChoiceField(choices=Direction.choices, help_text="both: only for an award.")
    quantity_mw = serializers.DecimalField(max_digits=10, decimal_places=3)
    start = serializers.DateTimeField(
        help_text="With its UTC offset; aligned to the product's market time unit."
    )
    end = serializers.DateTimeField(
        help_text="Aligned like the start; at most GRIDPREQUAL_REGISTER_MAX_PERIOD_DAYS after it."
    )
    revise = serializers.BooleanField(
        required=False, default=False,
        help_text="Replace the content of the record already held under this external id (a new revision).",
    )

    class Meta:
        ref_name = "RegisterRecordInput"


class BatchInputSerializer(serializers.Serializer):
    system_operator = serializers.CharField(help_text="EIC code of the system operator the records are for.")
    records = serializers.ListField(child=RecordInputSerializer(), max_length=MAX_BATCH)

    class Meta:
        ref_name = "RegisterBatchInput"


class CancelInputSerializer(serializers.Serializer):
    system_operator = serializers.CharField(help_text="EIC code of the system operator the records are for.")
    external_ids = serializers.ListField(child=serializers.CharField(), max_length=MAX_BATCH)

    class Meta:
        ref_name = "RegisterCancelInput"


class BatchOutputSerializer(serializers.Serializer):
    batch = serializers.IntegerField(source="batch.pk")
    created = serializers.IntegerField()
    revised = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    unchanged = serializers.IntegerField(help_text="Records sent again with the same content: stored once.")

    class Meta:
        ref_name = "RegisterBatchResult"


def _body(request: Request, list_field: str) -> tuple[SystemOperator, list]:
    """The operator and the list of a batch body, checked as BatchInputSerializer documents it."""
    data = request.data
    if not isinstance(data, Mapping):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    errors = {name: [_("Unknown field.")] for name in data if name not in ("system_operator", list_field)}
    eic = data.get("system_operator")
    so = SystemOperator.objects.select_related("organisation").filter(organisation__eic_code=eic).first() if (
        isinstance(eic, str) and eic
    ) else None
    if so is None:
        errors["system_operator"] = [_("No system operator with this EIC code.")]
    if errors:
        raise ValidationError(errors)
    return so, data.get(list_field)


def _answer(call) -> Response:
    try:
        result: IngestResult = call()
    except RecordsRefused as exc:
        return Response({"detail": exc.message, "errors": exc.extra}, status=exc.status)
    changed = result.created or result.revised or result.cancelled
    return Response(BatchOutputSerializer(result).data, status=status.HTTP_201_CREATED if changed else 200)



class RecordFilter(django_filters.FilterSet):
    spu = django_filters.NumberFilter(field_name="spu_id")
    spg = django_filters.NumberFilter(field_name="spg_id")
    product = django_filters.CharFilter(field_name="product__code")
    kind = django_filters.ChoiceFilter(choices=RecordKind.choices)
    status = django_filters.ChoiceFilter(choices=RecordStatus.choices)
    direction = django_filters.ChoiceFilter(choices=Direction.choices)
    system_operator_eic = django_filters.CharFilter(
        field_name="record__system_operator__organisation__eic_code"
    )
    external_id = django_filters.CharFilter(field_name="record__external_id")
    after = InstantFilter(
        field_name="period_end", lookup_expr="gt", label="Only records ending after this instant."
    )
    before = InstantFilter(
        field_name="period_start", lookup_expr="lt", label="Only records starting before this instant."
    )

    class Meta:
        model = RecordRevision
        fields = [
            "spu", "spg", "product", "kind", "status", "direction", "system_operator_eic", "external_id",
            "after", "before",
        ]


class RecordListCreateApi(generics.ListAPIView):
    """Awards and activations the user may read (current revisions), and sending a batch."""

    serializer_class = RecordOutputSerializer
    filterset_class = RecordFilter

    def get_queryset(self):
        return record_list_for_user(user=self.request.user)

    @extend_schema(operation_id="register_records_list", summary="List awards and activations")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="register_records_send",
        summary="Send a batch of awards and activations (up to 10,000; all or nothing; idempotent)",
        description="The same record sent again is stored once (unchanged). Answers 201 when something "
        "was stored, 200 when nothing changed, 400 with every bad record by index and field, 409 when the "
        "refusals are all conflicts: the same external id with other content and no revise flag, or a "
        "resource that would hold more than its capacity in a market time unit, or be activated both up "
        "and down (the message names the first holder's system operator, product and market time units).",
        request=BatchInputSerializer,
        responses={201: BatchOutputSerializer, 200: BatchOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        so, records = _body(request, "records")
        return _answer(lambda: records_ingest(caller=request.user, system_operator=so, records=records))


class RecordReviseApi(APIView):
    @extend_schema(
        operation_id="register_records_revise",
        summary="Revise records already sent (every record must exist; each change is a new revision)",
        request=BatchInputSerializer,
        responses={201: BatchOutputSerializer, 200: BatchOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        so, records = _body(request, "records")
        return _answer(
            lambda: records_ingest(caller=request.user, system_operator=so, records=records, revise_only=True)
        )


class RecordCancelApi(APIView):
    @extend_schema(
        operation_id="register_records_cancel",
        summary="Cancel records by their external ids (a cancelled revision; the history stays)",
        request=CancelInputSerializer,
        responses={201: BatchOutputSerializer, 200: BatchOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        so, external_ids = _body(request, "external_ids")
        return _answer(
            lambda: records_cancel(caller=request.user, system_operator=so, external_ids=external_ids)
        )


class RecordDetailApi(APIView):
    class DetailOutputSerializer(RecordOutputSerializer):
        revisions = serializers.SerializerMethodField()

        class Meta:
            ref_name = "RegisterRecordDetail"

        def get_revisions(self, current) -> list[dict]:
            return RevisionOutputSerializer(record_revisions(record=current.record), many=True).data

    @extend_schema(
        operation_id="register_records_retrieve",
        summary="One record with every revision (who sent it, when)",
        responses=DetailOutputSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        record = record_get_for_user(user=request.user, pk=pk)
        return Response(self.DetailOutputSerializer(record.current).data)

"""REST API of the grid prequalification workflow (SPEC R1–R6, §4, §5).

FSP: create/edit/delete drafts, preview who assesses, submit, withdraw, supply missing
information, list and read cases. SO: the queue of open assessments, read, decide, declare
incomplete. Reads go through prequal.selectors.cases (outsiders get 404), writes through
prequal.services.cases (read-only members get 403; a stale decision gets 409 "changed
meanwhile").
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import StrictInputSerializer
from prequal.models import Assessment, Case
from prequal.selectors.cases import (
    assessment_get_for_user,
    assessment_queue_for_user,
    case_assessments,
    case_fsp_get_for_user,
    case_get_for_user,
    case_list_for_user,
    case_previous_assessments,
    case_timeline,
)
from prequal.selectors.resources import (
    fsps_for_user,
    product_get_by_code,
    spg_get_for_user,
    spu_get_for_user,
)
from prequal.services.cases import (
    Outcome,
    assessment_decide,
    assessment_declare_incomplete,
    case_create_draft,
    case_delete_draft,
    case_preview_assessing_sos,
    case_submit,
    case_supply_information,
    case_update_draft,
    case_withdraw,
)

CONFLICT = OpenApiResponse(description="A business rule refused it, or the case changed meanwhile.")


def _require_some_fsp(*, user) -> None:
    if not fsps_for_user(user=user).exists():
        raise PermissionDenied


# --- output ---------------------------------------------------------------------------------


class SystemOperatorRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="organisation.name")
    eic_code = serializers.CharField(source="organisation.eic_code")


class DeadlineRuleRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    legal_basis = serializers.CharField()
    period_months = serializers.IntegerField()
    period_days = serializers.IntegerField()


class ConditionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    max_up_mw = serializers.DecimalField(max_digits=10, decimal_places=3, allow_null=True)
    max_down_mw = serializers.DecimalField(max_digits=10, decimal_places=3, allow_null=True)
    months = serializers.ListField(child=serializers.IntegerField())
    weekdays = serializers.ListField(child=serializers.IntegerField(), help_text="0 = Monday … 6 = Sunday")
    start_time = serializers.TimeField(allow_null=True, help_text="Local time in `time_zone`.")
    end_time = serializers.TimeField(allow_null=True, help_text="Local time in `time_zone`.")
    time_zone = serializers.CharField()
    valid_from = serializers.DateTimeField(allow_null=True)
    valid_to = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField()
    description = serializers.CharField(source="describe")


class AssessmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.IntegerField(source="case_id")
    round = serializers.IntegerField()
    system_operator = SystemOperatorRefSerializer()
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Why this SO assesses (R1).")
    area_version_ids = serializers.ListField(child=serializers.IntegerField())
    status = serializers.ChoiceField(choices=Assessment.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    deadline = serializers.DateTimeField(allow_null=True, help_text="Empty while the clock is stopped (R3).")
    deadline_rule = DeadlineRuleRefSerializer(allow_null=True)
    legal_basis = serializers.CharField(source="deadline_rule.legal_basis", allow_null=True, default=None)
    missing_information = serializers.CharField()
    incomplete_declared_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, default=None)
    reason = serializers.CharField()
    justification = serializers.CharField()
    limits_explanation = serializers.CharField()
    conditions = ConditionOutputSerializer(many=True)


class CaseEventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    action = serializers.CharField()
    assessment = serializers.IntegerField(source="assessment_id", allow_null=True)
    system_operator = serializers.CharField(
        source="assessment.system_operator.organisation.name", allow_null=True, default=None
    )
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    actor = serializers.CharField(source="actor_label", help_text='A person, or "Deadline"/"System".')
    via = serializers.CharField()
    reason = serializers.CharField()


class CaseOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    fsp = serializers.IntegerField(source="fsp_id")
    fsp_name = serializers.CharField(source="fsp.organisation.name")
    spu = serializers.IntegerField(source="spu_id", allow_null=True)
    spu_code = serializers.CharField(source="spu.code", allow_null=True, default=None)
    spg = serializers.IntegerField(source="spg_id", allow_null=True)
    spg_code = serializers.CharField(source="spg.code", allow_null=True, default=None)
    product = serializers.CharField(source="product.code")
    product_name = serializers.CharField(source="product.name")
    status = serializers.ChoiceField(choices=Case.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    round = serializers.IntegerField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    valid_until = serializers.DateTimeField(allow_null=True)
    supplement_due = serializers.DateTimeField(
        allow_null=True, help_text="While an SO waits for information (R3): supply it by then."
    )
    previous_outcome = serializers.CharField(help_text="The outcome before the current re-assessment (R2).")
    previous_decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class CaseDetailOutputSerializer(CaseOutputSerializer):
    assessments = AssessmentOutputSerializer(many=True)
    previous_assessments = AssessmentOutputSerializer(many=True)
    timeline = CaseEventOutputSerializer(many=True)


def _case_detail(case: Case) -> dict:
    data = CaseOutputSerializer(case).data
    data["assessments"] = AssessmentOutputSerializer(case_assessments(case=case), many=True).data
    data["previous_assessments"] = AssessmentOutputSerializer(
        case_previous_assessments(case=case), many=True
    ).data
    data["timeline"] = CaseEventOutputSerializer(case_timeline(case=case), many=True).data
    return data


class QueueCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    fsp_name = serializers.CharField(source="fsp.organisation.name")
    product = serializers.CharField(source="product.code")
    spu_code = serializers.CharField(source="spu.code", allow_null=True, default=None)
    spg_code = serializers.CharField(source="spg.code", allow_null=True, default=None)
    connecting_so = serializers.CharField(
        source="spu.connection_point.connecting_so.organisation.name", allow_null=True, default=None
    )
    submitted_at = serializers.DateTimeField(allow_null=True)


class QueueRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = QueueCaseSerializer()
    system_operator = SystemOperatorRefSerializer()
    status = serializers.ChoiceField(choices=Assessment.Status.choices)
    deadline = serializers.DateTimeField(allow_null=True)
    legal_basis = serializers.CharField(source="deadline_rule.legal_basis", allow_null=True, default=None)
    days_left = serializers.SerializerMethodField()

    def get_days_left(self, assessment: Assessment) -> int | None:
        if assessment.deadline is None:
            return None
        return (assessment.deadline - timezone.now()).days


# --- FSP: cases -----------------------------------------------------------------------------


class CaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Case.Status.choices)
    product = django_filters.CharFilter(field_name="product__code", help_text="Product code.")

    class Meta:
        model = Case
        fields = ["status", "product"]


class CaseListCreateApi(ListAPIView):
    """The cases the user may see (FSP: own; SO: those its operator assesses; NRA: all)."""

    serializer_class = CaseOutputSerializer
    filterset_class = CaseFilter

    class InputSerializer(StrictInputSerializer):
        spu = serializers.IntegerField(required=False, help_text="The SPU's id (give spu or spg).")
        spg = serializers.IntegerField(required=False, help_text="The SPG's id (give spu or spg).")
        product = serializers.CharField(help_text="The product's code, e.g. mfrr-energy.")

        class Meta:
            ref_name = "CaseCreateInput"

        def validate(self, attrs: dict) -> dict:
            if ("spu" in attrs) == ("spg" in attrs):
                raise serializers.ValidationError({"spu": [_("Give exactly one of spu and spg.")]})
            return attrs

    def get_queryset(self):
        return case_list_for_user(user=self.request.user)

    @extend_schema(operation_id="cases_list", summary="List grid prequalification cases")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="cases_create",
        summary="Open a draft case for one SPU or SPG and one product",
        request=InputSerializer,
        responses={201: CaseDetailOutputSerializer, 409: CONFLICT},
    )
    def post(self, request: Request) -> Response:
        _require_some_fsp(user=request.user)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        spu = spu_get_for_user(user=request.user, pk=data["spu"], write=True) if "spu" in data else None
        spg = spg_get_for_user(user=request.user, pk=data["spg"], write=True) if "spg" in data else None
        case = case_create_draft(
            user=request.user, spu=spu, spg=spg, product=product_get_by_code(code=data["product"])
        )
        case = case_get_for_user(user=request.user, pk=case.pk)
        return Response(_case_detail(case), status=status.HTTP_201_CREATED)


class CaseDetailApi(APIView):
    class InputSerializer(StrictInputSerializer):
        unchangeable_fields = ("id", "fsp", "status")

        spu = serializers.IntegerField(required=False)
        spg = serializers.IntegerField(required=False)
        product = serializers.CharField(required=False, help_text="The product's code.")

        class Meta:
            ref_name = "CaseUpdateInput"

        def validate(self, attrs: dict) -> dict:
            if "spu" in attrs and "spg" in attrs:
                raise serializers.ValidationError({"spu": [_("Give at most one of spu and spg.")]})
            return attrs

    @extend_schema(
        operation_id="cases_retrieve",
        summary="One case: assessments, conditions, deadlines with their legal basis, timeline",
        responses=CaseDetailOutputSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_case_detail(case_get_for_user(user=request.user, pk=pk)))

    @extend_schema(
        operation_id="cases_partial_update",
        summary="Change a draft's resource or product",
        request=InputSerializer,
        responses={200: CaseDetailOutputSerializer, 409: CONFLICT},
    )
    def patch(self, request: Request, pk: int) -> Response:
        case = case_fsp_get_for_user(user=request.user, pk=pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        changes = {}
        if "spu" in data:
            changes.update(spu=spu_get_for_user(user=request.user, pk=data["spu"], write=True), spg=None)
        if "spg" in data:
            changes.update(spg=spg_get_for_user(user=request.user, pk=data["spg"], write=True), spu=None)
        if "product" in data:
            changes["product"] = product_get_by_code(code=data["product"])
        case_update_draft(user=request.user, case=case, **changes)
        return Response(_case_detail(case_get_for_user(user=request.user, pk=pk)))

    @extend_schema(
        operation_id="cases_destroy",
        summary="Delete a draft",
        responses={204: None, 409: CONFLICT},
    )
    def delete(self, request: Request, pk: int) -> Response:
        case_delete_draft(user=request.user, case=case_fsp_get_for_user(user=request.user, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssessingSoPreviewSerializer(serializers.Serializer):
    system_operator = SystemOperatorRefSerializer()
    reasons = serializers.ListField(child=serializers.CharField())
    area_version_ids = serializers.ListField(child=serializers.IntegerField())
    deadline = serializers.DateTimeField(help_text="If the case were submitted now.")
    legal_basis = serializers.CharField(source="rule.legal_basis")
    deadline_rule = DeadlineRuleRefSerializer(source="rule")


class CasePreviewApi(APIView):
    @extend_schema(
        operation_id="cases_assessing_sos",
        summary="Who will assess the case and by when, if submitted now",
        responses=AssessingSoPreviewSerializer(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        case = case_get_for_user(user=request.user, pk=pk)
        return Response(AssessingSoPreviewSerializer(case_preview_assessing_sos(case=case), many=True).data)


class CaseSubmitApi(APIView):
    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "CaseSubmitInput"

    @extend_schema(
        operation_id="cases_submit",
        summary="Submit a draft: the assessing SOs' clocks start",
        request=InputSerializer,
        responses={200: CaseDetailOutputSerializer, 409: CONFLICT},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = case_fsp_get_for_user(user=request.user, pk=pk)
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        case_submit(user=request.user, case=case)
        return Response(_case_detail(case_get_for_user(user=request.user, pk=pk)))


class CaseWithdrawApi(APIView):
    class InputSerializer(StrictInputSerializer):
        reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)

        class Meta:
            ref_name = "CaseWithdrawInput"

    @extend_schema(
        operation_id="cases_withdraw",
        summary="Withdraw an undecided case",
        request=InputSerializer,
        responses={200: CaseDetailOutputSerializer, 409: CONFLICT},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = case_fsp_get_for_user(user=request.user, pk=pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case_withdraw(user=request.user, case=case, reason=serializer.validated_data.get("reason", ""))
        return Response(_case_detail(case_get_for_user(user=request.user, pk=pk)))


class CaseSupplyInformationApi(APIView):
    class InputSerializer(StrictInputSerializer):
        information = serializers.CharField(max_length=10000, help_text="What you supply (R3).")

        class Meta:
            ref_name = "CaseSupplyInformationInput"

    @extend_schema(
        operation_id="cases_supply_information",
        summary="Supply the information an SO found missing; the clocks restart",
        request=InputSerializer,
        responses={200: CaseDetailOutputSerializer, 409: CONFLICT},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = case_fsp_get_for_user(user=request.user, pk=pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case_supply_information(
            user=request.user, case=case, information=serializer.validated_data["information"]
        )
        return Response(_case_detail(case_get_for_user(user=request.user, pk=pk)))


# --- SO: queue and decisions ----------------------------------------------------------------


class AssessmentQueueApi(ListAPIView):
    """The user's operators' open assessments, earliest deadline first (stopped clocks last)."""

    serializer_class = QueueRowSerializer
    filter_backends: list = []  # filters below are applied by the selector

    def get_queryset(self):
        params = self.request.query_params
        connecting_so = params.get("connecting_so")
        if connecting_so and not connecting_so.isdigit():
            raise ValidationError({"connecting_so": _("Give the connecting SO's id (a whole number).")})
        status_value = params.get("status")
        if status_value and status_value not in Assessment.OPEN:
            raise ValidationError({"status": _("The queue holds pending and incomplete assessments only.")})
        return assessment_queue_for_user(
            user=self.request.user,
            product=params.get("product"),
            status=status_value,
            connecting_so=int(connecting_so) if connecting_so else None,
        )

    @extend_schema(
        operation_id="queue_list",
        summary="My operator's open assessments, ordered by deadline",
        parameters=[
            OpenApiParameter("product", str, description="Product code."),
            OpenApiParameter("status", str, enum=[s.value for s in Assessment.OPEN]),
            OpenApiParameter("connecting_so", int, description="Connecting SO's id."),
        ],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class AssessmentDetailApi(APIView):
    @extend_schema(
        operation_id="assessments_retrieve", summary="One assessment", responses=AssessmentOutputSerializer
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(AssessmentOutputSerializer(assessment_get_for_user(user=request.user, pk=pk)).data)


class ConditionInputSerializer(StrictInputSerializer):
    max_up_mw = serializers.DecimalField(
        max_digits=10, decimal_places=3, min_value=0, required=False, allow_null=True, coerce_to_string=False
    )
    max_down_mw = serializers.DecimalField(
        max_digits=10, decimal_places=3, min_value=0, required=False, allow_null=True, coerce_to_string=False
    )
    months = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=12),
        required=False,
        help_text="1–12; empty: every month.",
    )
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        required=False,
        help_text="0 = Monday … 6 = Sunday; empty: every day.",
    )
    start_time = serializers.TimeField(
        required=False, allow_null=True, help_text="Local time of the assessing SO, e.g. 07:00."
    )
    end_time = serializers.TimeField(required=False, allow_null=True, help_text="Local time, e.g. 09:00.")
    valid_from = serializers.DateTimeField(required=False, allow_null=True)
    valid_to = serializers.DateTimeField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)

    class Meta:
        ref_name = "ConditionInput"


class AssessmentDecideApi(APIView):
    class InputSerializer(StrictInputSerializer):
        outcome = serializers.ChoiceField(choices=list(Outcome.CHOICES))
        reason = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=10000,
            help_text="Required for a conditional approval (R6).",
        )
        justification = serializers.CharField(
            required=False, allow_blank=True, max_length=10000, help_text="Required for a refusal (R6)."
        )
        limits_explanation = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=10000,
            help_text="Required for a refusal: why temporary limits cannot resolve the issue (R6).",
        )
        conditions = ConditionInputSerializer(
            many=True, required=False, help_text="At least one for a conditional approval (R6)."
        )

        class Meta:
            ref_name = "AssessmentDecideInput"

    @extend_schema(
        operation_id="assessments_decide",
        summary="Approve, approve with conditions, or refuse",
        request=InputSerializer,
        responses={200: AssessmentOutputSerializer, 409: CONFLICT},
    )
    def post(self, request: Request, pk: int) -> Response:
        assessment = assessment_get_for_user(user=request.user, pk=pk, write=True)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["conditions"] = [dict(c) for c in data.get("conditions", [])]
        assessment_decide(user=request.user, assessment=assessment, **data)
        return Response(AssessmentOutputSerializer(assessment_get_for_user(user=request.user, pk=pk)).data)


class AssessmentDeclareIncompleteApi(APIView):
    class InputSerializer(StrictInputSerializer):
        missing_information = serializers.CharField(max_length=10000, help_text="What is missing (R3).")

        class Meta:
            ref_name = "AssessmentDeclareIncompleteInput"

    @extend_schema(
        operation_id="assessments_declare_incomplete",
        summary="Declare the case incomplete (once); the clocks stop",
        request=InputSerializer,
        responses={200: AssessmentOutputSerializer, 409: CONFLICT},
    )
    def post(self, request: Request, pk: int) -> Response:
        assessment = assessment_get_for_user(user=request.user, pk=pk, write=True)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assessment_declare_incomplete(user=request.user, assessment=assessment, **serializer.validated_data)
        return Response(AssessmentOutputSerializer(assessment_get_for_user(user=request.user, pk=pk)).data)

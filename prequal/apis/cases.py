"""REST API of the FSP side of grid prequalification (SPEC R2, R3, §4, §5).

FSP: create/edit/delete drafts, preview who assesses, submit, withdraw, supply missing
information; everyone who may: list and read cases. Reads go through prequal.selectors.cases
(outsiders get 404), writes through prequal.services.cases (read-only members get 403).
The SO side (queue, decisions) is prequal.apis.assessments.
"""

from __future__ import annotations

from collections.abc import Callable

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status, views
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import StrictInputSerializer, validated_input
from common.text import JUSTIFICATION_MAX_LENGTH, REASON_MAX_LENGTH
from prequal.apis.acting import require_some_fsp
from prequal.apis.assessments import (
    CONFLICT,
    AssessmentOutputSerializer,
    ConditionOutputSerializer,
    DeadlineRuleRefSerializer,
    ExcludedMemberOutputSerializer,
    SystemOperatorRefSerializer,
)
from prequal.models import Case
from prequal.selectors.cases import (
    case_assessments,
    case_conditions,
    case_excluded_members,
    case_fsp_get_for_user,
    case_get_for_user,
    case_list_for_user,
    case_previous_assessments,
    case_timeline,
)
from prequal.selectors.resources import product_get_by_code, spg_get_for_user, spu_get_for_user
from prequal.services.cases import (
    case_create_draft,
    case_delete_draft,
    case_preview_assessing_sos,
    case_submit,
    case_supply_information,
    case_update_draft,
    case_withdraw,
)

# --- output ---------------------------------------------------------------------------------


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
    reason = serializers.CharField(source="api_reason")


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


class OutcomeConditionSerializer(ConditionOutputSerializer):
    system_operator = SystemOperatorRefSerializer(source="assessment.system_operator")


class CaseDetailOutputSerializer(CaseOutputSerializer):
    excluded_members = ExcludedMemberOutputSerializer(
        many=True, help_text="Group members the current round's approvals leave out (they do not count)."
    )
    assessments = AssessmentOutputSerializer(many=True)
    outcome_conditions = OutcomeConditionSerializer(
        many=True, help_text="R5: a conditionally approved case's conditions, every SO's, each with its "
        "validity period and note; empty for any other outcome.",
    )
    previous_assessments = AssessmentOutputSerializer(many=True)
    timeline = CaseEventOutputSerializer(many=True)


def _case_detail(case: Case) -> dict:
    data = CaseOutputSerializer(case).data
    left_out = case_excluded_members(case=case)
    data["excluded_members"] = ExcludedMemberOutputSerializer(left_out, many=True).data
    data["assessments"] = AssessmentOutputSerializer(case_assessments(case=case), many=True).data
    conditional = case.status == Case.Status.CONDITIONALLY_APPROVED
    outcome_conditions = case_conditions(case=case) if conditional else []
    data["outcome_conditions"] = OutcomeConditionSerializer(outcome_conditions, many=True).data
    data["previous_assessments"] = AssessmentOutputSerializer(
        case_previous_assessments(case=case), many=True
    ).data
    data["timeline"] = CaseEventOutputSerializer(case_timeline(case=case), many=True).data
    return data


def _case_action(request: Request, pk: int, serializer_class, *, act: Callable[..., Case]) -> Response:
    """The FSP's action on its case: the input checked, the service `act` called with it as
    keyword arguments, the case as it now stands returned."""
    case = case_fsp_get_for_user(user=request.user, pk=pk)
    act(user=request.user, case=case, **validated_input(serializer_class, request))
    return Response(_case_detail(case_get_for_user(user=request.user, pk=pk)))


# --- FSP: cases -----------------------------------------------------------------------------


class CaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Case.Status.choices)
    product = django_filters.CharFilter(field_name="product__code", help_text="Product code.")

    class Meta:
        model = Case
        fields = ["status", "product"]


class CaseListCreateApi(generics.ListAPIView):
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
        require_some_fsp(user=request.user)
        data = validated_input(self.InputSerializer, request)
        spu = spu_get_for_user(user=request.user, pk=data["spu"], write=True) if "spu" in data else None
        spg = spg_get_for_user(user=request.user, pk=data["spg"], write=True) if "spg" in data else None
        case = case_create_draft(
            user=request.user, spu=spu, spg=spg, product=product_get_by_code(code=data["product"])
        )
        case = case_get_for_user(user=request.user, pk=case.pk)
        return Response(_case_detail(case), status=status.HTTP_201_CREATED)


class CaseDetailApi(views.APIView):
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
        data = validated_input(self.InputSerializer, request)
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


class CasePreviewApi(views.APIView):
    @extend_schema(
        operation_id="cases_assessing_sos",
        summary="Who will assess the case and by when, if submitted now",
        responses=AssessingSoPreviewSerializer(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        case = case_get_for_user(user=request.user, pk=pk)
        return Response(AssessingSoPreviewSerializer(case_preview_assessing_sos(case=case), many=True).data)


class CaseSubmitApi(views.APIView):
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
        return _case_action(request, pk, self.InputSerializer, act=case_submit)


class CaseWithdrawApi(views.APIView):
    class InputSerializer(StrictInputSerializer):
        reason = serializers.CharField(required=False, allow_blank=True, max_length=REASON_MAX_LENGTH)

        class Meta:
            ref_name = "CaseWithdrawInput"

    @extend_schema(
        operation_id="cases_withdraw",
        summary="Withdraw an undecided case",
        request=InputSerializer,
        responses={200: CaseDetailOutputSerializer, 409: CONFLICT},
    )
    def post(self, request: Request, pk: int) -> Response:
        return _case_action(request, pk, self.InputSerializer, act=case_withdraw)


class CaseSupplyInformationApi(views.APIView):
    class InputSerializer(StrictInputSerializer):
        information = serializers.CharField(
            max_length=JUSTIFICATION_MAX_LENGTH, help_text="What you supply (R3)."
        )

        class Meta:
            ref_name = "CaseSupplyInformationInput"

    @extend_schema(
        operation_id="cases_supply_information",
        summary="Supply the information an SO found missing; the clocks restart",
        request=InputSerializer,
        responses={200: CaseDetailOutputSerializer, 409: CONFLICT},
    )
    def post(self, request: Request, pk: int) -> Response:
        return _case_action(request, pk, self.InputSerializer, act=case_supply_information)

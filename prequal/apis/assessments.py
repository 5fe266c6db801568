"""REST API of the SO side of grid prequalification (SPEC R1, R3–R6, §4): the queue of open
assessments, one assessment, deciding, declaring a case incomplete.

Reads go through prequal.selectors.cases (outsiders get 404), writes through
prequal.services.cases (read-only members get 403; a stale decision gets 409 "changed
meanwhile").
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, views
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import StrictInputSerializer, validated_input
from common.text import JUSTIFICATION_MAX_LENGTH
from prequal.models import Assessment
from prequal.selectors.cases import assessment_get_for_user, assessment_queue_for_user
from prequal.services.cases import Outcome, assessment_decide, assessment_declare_incomplete

CONFLICT = OpenApiResponse(description="A business rule refused it, or the case changed meanwhile.")


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


class ExcludedMemberOutputSerializer(serializers.Serializer):
    spu = serializers.IntegerField(source="spu_id")
    spu_code = serializers.CharField(source="spu.code")


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
    excluded_members = ExcludedMemberOutputSerializer(
        many=True, help_text="Members of the group this approval leaves out (they do not count)."
    )


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


def _assessment_action(
    request: Request, pk: int, serializer_class, *, act: Callable[..., Assessment]
) -> Response:
    """An engineer's action on an assessment of their SO: the input checked, the service `act`
    called with it as keyword arguments, the assessment as it now stands returned."""
    assessment = assessment_get_for_user(user=request.user, pk=pk, write=True)
    act(user=request.user, assessment=assessment, **validated_input(serializer_class, request))
    return Response(AssessmentOutputSerializer(assessment_get_for_user(user=request.user, pk=pk)).data)


# --- SO: queue and decisions ----------------------------------------------------------------


class AssessmentQueueApi(generics.ListAPIView):
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


class AssessmentDetailApi(views.APIView):
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


class AssessmentDecideApi(views.APIView):
    class InputSerializer(StrictInputSerializer):
        outcome = serializers.ChoiceField(choices=list(Outcome.CHOICES))
        reason = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=JUSTIFICATION_MAX_LENGTH,
            help_text="Required for a conditional approval (R6).",
        )
        justification = serializers.CharField(
            required=False, allow_blank=True, max_length=JUSTIFICATION_MAX_LENGTH,
            help_text="Required for a refusal (R6).",
        )
        limits_explanation = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=JUSTIFICATION_MAX_LENGTH,
            help_text="Required for a refusal: why temporary limits cannot resolve the issue (R6).",
        )
        conditions = ConditionInputSerializer(
            many=True, required=False, help_text="At least one for a conditional approval (R6)."
        )
        excluded_members = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
            required=False,
            max_length=10000,
            help_text="For a group: SPU ids of members this approval leaves out (a reason is required).",
        )

        class Meta:
            ref_name = "AssessmentDecideInput"

        def validate(self, attrs: dict) -> dict:
            # The service takes a list of plain dicts, one a condition, even when none was sent.
            attrs["conditions"] = [dict(c) for c in attrs.get("conditions", [])]
            return attrs

    @extend_schema(
        operation_id="assessments_decide",
        summary="Approve, approve with conditions, or refuse",
        request=InputSerializer,
        responses={200: AssessmentOutputSerializer, 409: CONFLICT},
    )
    def post(self, request: Request, pk: int) -> Response:
        return _assessment_action(request, pk, self.InputSerializer, act=assessment_decide)


class AssessmentDeclareIncompleteApi(views.APIView):
    class InputSerializer(StrictInputSerializer):
        missing_information = serializers.CharField(
            max_length=JUSTIFICATION_MAX_LENGTH, help_text="What is missing (R3)."
        )

        class Meta:
            ref_name = "AssessmentDeclareIncompleteInput"

    @extend_schema(
        operation_id="assessments_declare_incomplete",
        summary="Declare the case incomplete (once); the clocks stop",
        request=InputSerializer,
        responses={200: AssessmentOutputSerializer, 409: CONFLICT},
    )
    def post(self, request: Request, pk: int) -> Response:
        return _assessment_action(request, pk, self.InputSerializer, act=assessment_declare_incomplete)

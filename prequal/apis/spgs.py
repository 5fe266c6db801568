"""REST API over SPGs and their time-bounded memberships.

Reads go through prequal.selectors.resources (outsiders get 404), writes through
prequal.services.resources (read-only members get 403).
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status, views
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import StrictInputSerializer, errors_renamed, validated_input
from common.text import CodeOrNameSerializerField
from common.validators import validate_bidding_zone, validate_eic
from prequal.apis.acting import fsp_acting, require_some_fsp
from prequal.models import Spg, SpgMembership
from prequal.selectors.resources import (
    spg_get_for_user,
    spg_list_for_user,
    spg_memberships,
    spu_get_for_user,
)
from prequal.services.resources import (
    spg_create,
    spg_deactivate,
    spg_member_add,
    spg_member_end,
    spg_update,
)

SPG_ERROR_FIELDS = {"fsp": "fsp_eic"}


class SpgOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    fsp = serializers.IntegerField(source="fsp_id")
    fsp_eic = serializers.CharField(source="fsp.organisation.eic_code")
    code = serializers.CharField()
    name = serializers.CharField()
    bidding_zone = serializers.CharField()
    is_active = serializers.BooleanField()
    deactivated_at = serializers.DateTimeField(allow_null=True)
    member_count = serializers.IntegerField(help_text="Memberships, past, current and future.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class SpgFilter(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter()
    code = django_filters.CharFilter()
    bidding_zone = django_filters.CharFilter()

    class Meta:
        model = Spg
        fields = ["is_active", "code", "bidding_zone"]


class SpgListCreateApi(generics.ListAPIView):
    serializer_class = SpgOutputSerializer
    filterset_class = SpgFilter

    class InputSerializer(StrictInputSerializer):
        fsp_eic = serializers.CharField(
            required=False, validators=[validate_eic],
            help_text="Only for users who act for several FSPs: which one creates the group.",
        )
        code = CodeOrNameSerializerField(max_length=64)
        name = CodeOrNameSerializerField(max_length=200)
        bidding_zone = serializers.CharField(max_length=10, validators=[validate_bidding_zone])

        class Meta:
            ref_name = "SpgCreateInput"

    def get_queryset(self):
        return spg_list_for_user(user=self.request.user)

    @extend_schema(operation_id="spgs_list", summary="List SPGs")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="spgs_create",
        summary="Create an SPG",
        request=InputSerializer,
        responses={201: SpgOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        require_some_fsp(user=request.user)
        data = validated_input(self.InputSerializer, request)
        with errors_renamed(SPG_ERROR_FIELDS):
            fsp = fsp_acting(user=request.user, fsp_eic=data.pop("fsp_eic", None))
            spg = spg_create(user=request.user, fsp=fsp, **data)
        spg = spg_get_for_user(user=request.user, pk=spg.pk)
        return Response(SpgOutputSerializer(spg).data, status=status.HTTP_201_CREATED)


class SpgDetailApi(views.APIView):
    class InputSerializer(StrictInputSerializer):
        unchangeable_fields = ("id", "code", "fsp", "fsp_eic", "bidding_zone", "is_active")

        name = CodeOrNameSerializerField(max_length=200, required=False)

        class Meta:
            ref_name = "SpgUpdateInput"

    @extend_schema(operation_id="spgs_retrieve", summary="One SPG", responses=SpgOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(SpgOutputSerializer(spg_get_for_user(user=request.user, pk=pk)).data)

    @extend_schema(
        operation_id="spgs_partial_update",
        summary="Change an SPG",
        request=InputSerializer,
        responses=SpgOutputSerializer,
    )
    def patch(self, request: Request, pk: int) -> Response:
        spg = spg_get_for_user(user=request.user, pk=pk, write=True)
        data = validated_input(self.InputSerializer, request)
        with errors_renamed(SPG_ERROR_FIELDS):
            spg_update(user=request.user, spg=spg, **data)
        return Response(SpgOutputSerializer(spg_get_for_user(user=request.user, pk=pk)).data)


class SpgDeactivateApi(views.APIView):
    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "SpgDeactivateInput"

    @extend_schema(
        operation_id="spgs_deactivate",
        summary="Deactivate an SPG and end its memberships now",
        request=None,
        responses=SpgOutputSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        spg = spg_get_for_user(user=request.user, pk=pk, write=True)
        validated_input(self.InputSerializer, request)
        spg_deactivate(user=request.user, spg=spg)
        return Response(SpgOutputSerializer(spg_get_for_user(user=request.user, pk=pk)).data)


class SpgMembershipOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    spg = serializers.IntegerField(source="spg_id")
    spu = serializers.IntegerField(source="spu_id")
    spu_code = serializers.CharField(source="spu.code")
    valid_from = serializers.DateTimeField()
    valid_to = serializers.DateTimeField(allow_null=True, help_text="Open-ended when null.")


class SpgMembershipFilter(django_filters.FilterSet):
    spu = django_filters.NumberFilter(field_name="spu_id")

    class Meta:
        model = SpgMembership
        fields = ["spu"]


class SpgMemberListCreateApi(generics.ListAPIView):
    serializer_class = SpgMembershipOutputSerializer
    filterset_class = SpgMembershipFilter

    class InputSerializer(StrictInputSerializer):
        spu = serializers.IntegerField(help_text="The SPU's id.")
        valid_from = serializers.DateTimeField(required=False, help_text="Now when left out.")
        valid_to = serializers.DateTimeField(
            required=False, allow_null=True, help_text="Open-ended when left out."
        )

        class Meta:
            ref_name = "SpgMemberAddInput"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no SPG
            return SpgMembership.objects.none()
        spg = spg_get_for_user(user=self.request.user, pk=self.kwargs["pk"])
        return spg_memberships(spg=spg)

    @extend_schema(operation_id="spgs_members_list", summary="An SPG's memberships")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="spgs_members_create",
        summary="Add an SPU to an SPG for a period",
        request=InputSerializer,
        responses={201: SpgMembershipOutputSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        spg = spg_get_for_user(user=request.user, pk=pk, write=True)
        data = validated_input(self.InputSerializer, request)
        try:
            spu = spu_get_for_user(user=request.user, pk=data.pop("spu"), write=True)
        except (Http404, PermissionDenied) as exc:
            # The unit is named in the body: a bad id is bad input, not a missing page.
            raise ValidationError({"spu": _("You have no SPU with this id.")}) from exc
        membership = spg_member_add(user=request.user, spg=spg, spu=spu, **data)
        return Response(
            SpgMembershipOutputSerializer(membership).data, status=status.HTTP_201_CREATED
        )


class SpgMemberEndApi(views.APIView):
    class InputSerializer(StrictInputSerializer):
        at = serializers.DateTimeField(required=False, help_text="Now when left out.")

        class Meta:
            ref_name = "SpgMemberEndInput"

    @extend_schema(
        operation_id="spgs_members_end",
        summary="End a membership (one that has not started yet is removed)",
        request=InputSerializer,
        responses={
            200: SpgMembershipOutputSerializer,
            204: OpenApiResponse(description="The membership had not started; it was removed."),
        },
    )
    def post(self, request: Request, pk: int, membership_id: int) -> Response:
        spg = spg_get_for_user(user=request.user, pk=pk, write=True)
        membership = get_object_or_404(spg_memberships(spg=spg), pk=membership_id)
        data = validated_input(self.InputSerializer, request)
        with errors_renamed({"valid_to": "at"}):
            membership = spg_member_end(
                user=request.user, membership=membership, **data
            )
        if membership.pk is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(SpgMembershipOutputSerializer(membership).data)

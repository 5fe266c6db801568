"""REST API over products: read-only, open to every logged-in user."""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, views
from rest_framework.request import Request
from rest_framework.response import Response

from prequal.models import Direction, Product
from prequal.selectors.resources import product_list


class ProductOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField(help_text="The product's name in English (stable, whatever the language).")
    name_sv = serializers.CharField(help_text="The product's Swedish name; empty when it has none.")
    kind = serializers.ChoiceField(choices=Product.Kind.choices)
    procuring_so = serializers.IntegerField(source="procuring_so_id")
    procuring_so_eic = serializers.CharField(source="procuring_so.organisation.eic_code")
    directions = serializers.ChoiceField(choices=Direction.choices)
    market_time_unit_minutes = serializers.IntegerField()
    gate_closure_minutes = serializers.IntegerField(
        help_text="Balancing energy gate closure: minutes before delivery that bids close "
        "(0 with a day-ahead one)."
    )
    gate_closure_days_ahead = serializers.IntegerField(
        allow_null=True,
        help_text="Day-ahead gate closure: days before the delivery day (1 = D-1); else empty.",
    )
    gate_closure_local_time = serializers.TimeField(
        allow_null=True, help_text="Day-ahead gate closure: the clock time, in the procuring SO's time zone."
    )
    gate_closure = serializers.CharField(
        source="gate_closure_label",
        help_text='E.g. "45 minutes before delivery" or "D-1 18:00 (Europe/Stockholm)".'
    )


class ProductFilter(django_filters.FilterSet):
    code = django_filters.CharFilter()
    kind = django_filters.ChoiceFilter(choices=Product.Kind.choices)
    procuring_so = django_filters.NumberFilter(field_name="procuring_so_id")

    class Meta:
        model = Product
        fields = ["code", "kind", "procuring_so"]


class ProductListApi(generics.ListAPIView):
    """The active products (open to every logged-in user)."""

    serializer_class = ProductOutputSerializer
    filterset_class = ProductFilter

    def get_queryset(self):
        return product_list()

    @extend_schema(operation_id="products_list", summary="List products")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class ProductDetailApi(views.APIView):
    @extend_schema(operation_id="products_retrieve", summary="One product", responses=ProductOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        product = get_object_or_404(product_list(), pk=pk)
        return Response(ProductOutputSerializer(product).data)

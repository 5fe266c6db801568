"""Observability-area pages: the map, upload with preview, versions (who assesses: prequal)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from common.listing import listing_apply, listing_export
from common.pagination import paginate
from observability.areas import area_geojson
from observability.listings import AREA_LIST
from observability.maps import (
    MAP_SIMPLIFY_DEG,
    area_feature,
    map_settings,
)
from observability.models import SystemOperator
from observability.selectors import (
    area_get_for_user,
    area_list_for_user,
    area_upload_operators_for_user,
    system_operator_list,
)


class MapFilterForm(forms.Form):
    operator = forms.ModelChoiceField(
        label=gettext_lazy("Operator"),
        required=False,
        queryset=SystemOperator.objects.none(),
        empty_label=gettext_lazy("All operators"),
    )
    tier = forms.ChoiceField(
        label=gettext_lazy("Tier"),
        required=False,
        choices=[("", gettext_lazy("Any")), *SystemOperator.Tier.choices],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].queryset = system_operator_list()


@login_required
@require_GET
def area_map(request: HttpRequest) -> HttpResponse:
    form = MapFilterForm(request.GET)
    form.is_valid()
    query = "?" + request.GET.urlencode() if request.GET else ""
    data_url = reverse("observability:map-data") + query
    # The points come per visible box, clustered when many (observability.map_points).
    points_url = reverse("api:connection-point-map") + query
    return render(
        request,
        "observability/area_map.html",
        {
            "filter_form": form,
            "map_config": {**map_settings(), "dataUrl": data_url, "pointsUrl": points_url},
        },
    )


@login_required
@require_GET
def area_map_data(request: HttpRequest) -> JsonResponse:
    """GeoJSON for the map: the current areas (filtered). The points come per visible box from
    the API (api:connection-point-map), clustered when many."""
    form = MapFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    operator = data.get("operator")
    areas = area_list_for_user(
        user=request.user,
        current=True,
        system_operator_id=operator.pk if operator else None,
        tier=data.get("tier") or None,
    )
    features = [area_feature(a, simplify=MAP_SIMPLIFY_DEG) for a in areas]
    return JsonResponse({"type": "FeatureCollection", "features": features})


@login_required
@require_GET
def area_list(request: HttpRequest) -> HttpResponse:
    form = MapFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    operator = data.get("operator")
    qs = area_list_for_user(
        user=request.user, system_operator_id=operator.pk if operator else None, tier=data.get("tier") or None
    )
    # The list shows no geometry: its WKB stays in the database (the export reads every row).
    listing = listing_apply(request, qs.defer("geometry_wkb"), spec=AREA_LIST, form=form)
    if listing.export:
        return listing_export(listing)
    current_ids = set(area_list_for_user(user=request.user, current=True).values_list("id", flat=True))
    return render(
        request,
        "observability/area_list.html",
        {
            "filter_form": form,
            "listing": listing,
            "page_obj": paginate(request, listing.queryset),
            "current_ids": current_ids,
            "can_upload": area_upload_operators_for_user(user=request.user).exists(),
        },
    )


@login_required
@require_GET
def area_detail(request: HttpRequest, pk: int) -> HttpResponse:
    area = area_get_for_user(user=request.user, pk=pk)
    versions = area_list_for_user(user=request.user, system_operator_id=area.system_operator_id)
    current = area_list_for_user(
        user=request.user, current=True, system_operator_id=area.system_operator_id
    ).first()
    return render(
        request,
        "observability/area_detail.html",
        {
            "area": area,
            "versions": versions,
            "current": current,
            "map_config": {
                **map_settings(),
                "data": {"type": "FeatureCollection", "features": [area_feature(area, role="preview")]},
                "focus": "preview",
            },
        },
    )


@login_required
@require_GET
def area_download(request: HttpRequest, pk: int) -> HttpResponse:
    from observability.apis.areas import area_download_name

    area = area_get_for_user(user=request.user, pk=pk)
    response = HttpResponse(area_geojson(area=area), content_type="application/geo+json")
    response["Content-Disposition"] = f'attachment; filename="{area_download_name(area)}"'
    return response

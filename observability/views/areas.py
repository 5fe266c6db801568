"""Observability-area pages: the map, upload with preview, versions (who assesses: prequal)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.pagination import paginate
from observability.area_staging import area_upload_stage, area_upload_staged, area_upload_unstage
from observability.areas import area_geojson
from observability.maps import (
    MAP_POINT_LIMIT,
    MAP_SIMPLIFY_DEG,
    area_feature,
    map_feature,
    map_settings,
    point_features,
)
from observability.models import SystemOperator
from observability.selectors import (
    area_get_for_user,
    area_list_for_user,
    area_upload_operators_for_user,
    connection_point_list_for_user,
    system_operator_list,
)
from observability.services import area_upload_preview, area_version_create

SESSION_KEY = "area_uploads"


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


class AreaUploadForm(forms.Form):
    system_operator = forms.ModelChoiceField(
        label=gettext_lazy("Operator"), queryset=SystemOperator.objects.none(), empty_label=None
    )
    file = forms.FileField(
        label=gettext_lazy("Area file"),
        help_text=gettext_lazy(
            "GeoJSON (.geojson), GeoPackage (.gpkg) or a zipped Shapefile "
            "(.zip with .shp, .shx, .dbf, .prj), in any coordinate system with an EPSG code, "
            "e.g. SWEREF 99 TM (EPSG:3006)."
        ),
    )

    repair = forms.BooleanField(
        label=gettext_lazy("Repair invalid polygons for the preview"),
        required=False,
        help_text=gettext_lazy(
            "Off: an invalid polygon is refused, saying where. On: it is repaired with make_valid and "
            "shown on the preview for you to check before confirming."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system_operator"].queryset = area_upload_operators_for_user(user=user)


class AreaConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    valid_from = forms.DateTimeField(
        label=gettext_lazy("Valid from"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The zone the entered time is read in: the installation's (settings.TIME_ZONE).
        self.fields["valid_from"].help_text = _(
            "Local time (%(zone)s). Earlier versions stay and remain viewable."
        ) % {"zone": timezone.get_current_timezone_name()}




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
@require_http_methods(["GET", "POST"])
def area_upload(request: HttpRequest) -> HttpResponse:
    """Step 1: choose a file; on POST, check it and show the preview with a confirm form."""
    if not area_upload_operators_for_user(user=request.user).exists():
        raise PermissionDenied(_("Only SO engineers upload observability areas."))
    form = AreaUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        so = form.cleaned_data["system_operator"]
        upload = form.cleaned_data["file"]
        try:
            preview = area_upload_preview(
                user=request.user,
                system_operator=so,
                file=upload,
                filename=upload.name,
                repair=form.cleaned_data["repair"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            token = area_upload_stage(file=upload, filename=upload.name)
            staged = request.session.get(SESSION_KEY, {})
            staged[token] = {
                "system_operator": so.pk,
                "filename": upload.name,
                "repair": bool(form.cleaned_data["repair"]),
            }
            request.session[SESSION_KEY] = staged
            confirm = AreaConfirmForm(
                initial={"token": token, "valid_from": timezone.localtime().replace(second=0, microsecond=0)}
            )
            return render(
                request,
                "observability/area_preview.html",
                _preview_context(request, preview=preview, confirm_form=confirm),
            )
    return render(request, "observability/area_upload.html", {"form": form})


def _preview_context(request, *, preview, confirm_form) -> dict:
    so = preview.system_operator
    neighbours = [
        area_feature(a, simplify=MAP_SIMPLIFY_DEG, role="neighbour")
        for a in area_list_for_user(user=request.user, current=True)
        .exclude(system_operator=so)
        .filter(
            min_lon__lte=preview.area.bbox[2] + 1,
            max_lon__gte=preview.area.bbox[0] - 1,
            min_lat__lte=preview.area.bbox[3] + 1,
            max_lat__gte=preview.area.bbox[1] - 1,
        )
    ]
    current = area_list_for_user(user=request.user, current=True, system_operator_id=so.pk).first()
    features = neighbours
    if current is not None:
        features.append(area_feature(current, simplify=MAP_SIMPLIFY_DEG, role="current"))
    features.append(
        map_feature(
            preview.area.geometry,
            kind="area",
            role="preview",
            system_operator=so.name,
            tier=so.tier,
            area_km2=round(preview.area.area_km2, 1),
        )
    )
    points = connection_point_list_for_user(user=request.user).filter(connecting_so=so).order_by("pk")
    features += point_features(points[:MAP_POINT_LIMIT])
    return {
        "preview": preview,
        "confirm_form": confirm_form,
        "current": current,
        "map_config": {
            **map_settings(),
            "data": {"type": "FeatureCollection", "features": features},
            "focus": "preview",
        },
    }


@login_required
@require_POST
def area_upload_confirm(request: HttpRequest) -> HttpResponse:
    """Step 2: store the previewed file as a new version from the chosen time."""
    form = AreaConfirmForm(request.POST)
    staged = request.session.get(SESSION_KEY, {})
    token = request.POST.get("token", "")
    entry = staged.get(token)
    if entry is None:
        messages.error(
            request, _("That upload is no longer waiting for confirmation; upload the file again.")
        )
        return redirect("observability:area-upload")
    so = get_object_or_404(system_operator_list(), pk=entry["system_operator"])
    if not form.is_valid():
        messages.error(request, _("Choose when the new version becomes valid."))
        return redirect("observability:area-upload")
    file = area_upload_staged(token=token)
    if file is None:
        messages.error(
            request, _("That upload is no longer waiting for confirmation; upload the file again.")
        )
        return redirect("observability:area-upload")
    try:
        with file:
            version = area_version_create(
                user=request.user,
                system_operator=so,
                valid_from=form.cleaned_data["valid_from"],
                file=file,
                filename=entry["filename"],
                repair=entry.get("repair", False),
            )
    except ValidationError as exc:
        messages.error(request, " ".join(m for msgs in exc.message_dict.values() for m in msgs))
        return redirect("observability:area-upload")
    area_upload_unstage(token=token)
    staged.pop(token, None)
    request.session[SESSION_KEY] = staged
    messages.success(
        request,
        _("New observability area of %(so)s stored, valid from %(when)s.")
        % {"so": so, "when": timezone.localtime(version.valid_from).strftime("%Y-%m-%d %H:%M")},
    )
    return redirect("observability:area-detail", pk=version.pk)


@login_required
@require_GET
def area_list(request: HttpRequest) -> HttpResponse:
    form = MapFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    operator = data.get("operator")
    qs = area_list_for_user(
        user=request.user, system_operator_id=operator.pk if operator else None, tier=data.get("tier") or None
    )
    current_ids = set(area_list_for_user(user=request.user, current=True).values_list("id", flat=True))
    return render(
        request,
        "observability/area_list.html",
        {
            "filter_form": form,
            "page_obj": paginate(request, qs),
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

"""The register's pages: "My grid" for an SO's engineers and viewers, and the engineers' CSV
upload of awards and activations (SPEC R11, §5). Thin: register.selectors_grid reads,
register.services.csv_upload writes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from common.exports import csv_response, csv_variant
from common.pagination import paginate
from common.uploads import upload_refusal
from observability.maps import map_settings, point_features
from observability.selectors import area_upload_operators_for_user
from register.charts import chart_svg
from register.forms import RecordsUploadForm
from register.selectors_grid import (
    NEXT_48,
    PERIODS,
    grid_chart,
    grid_conflicts,
    grid_operator_for_user,
    grid_points,
    grid_unit_rows,
    grid_units,
    grid_window,
)
from register.services.csv_upload import COLUMNS, CsvRefused, records_csv_ingest, records_template_rows

# Points coloured by the MW they hold: (from MW, colour), the highest band that fits (the map's
# legend: static/css/grid.css .swatch.mw-*).
MW_BANDS = ((0, "#9ecae1"), (1, "#4292c6"), (5, "#fd8d3c"), (20, "#d94801"), (50, "#7f2704"))


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


def mw_colour(mw: float) -> str:
    return [colour for low, colour in MW_BANDS if mw >= low][-1]


def _map_config(points: list[dict]) -> dict:
    features = point_features([p["point"] for p in points])
    for feature, found in zip(features, points, strict=True):
        feature["properties"].update(mw=round(found["mw"], 3), colour=mw_colour(found["mw"]))
    config = map_settings()
    config["labels"]["mw"] = _("MW held")
    return {**config, "data": {"type": "FeatureCollection", "features": features}, "focus": "all"}


@login_required
@require_GET
def my_grid(request: HttpRequest) -> HttpResponse:
    so, operators, engineer = grid_operator_for_user(user=request.user, so_id=_int(request.GET.get("so")))
    period = request.GET.get("period") if request.GET.get("period") in PERIODS else NEXT_48
    window = grid_window(period=period, now=timezone.now())
    held_only = request.GET.get("held") == "1"
    page = paginate(request, grid_units(system_operator=so, held_only=held_only, window=window))
    points = grid_points(system_operator=so, window=window)
    return render(request, "register/my_grid.html", {
        "so": so, "operators": operators, "engineer": engineer, "window": window, "period": period,
        "held_only": held_only, "page_obj": page,
        "rows": grid_unit_rows(units=list(page.object_list), window=window),
        "chart": chart_svg(series=grid_chart(system_operator=so, window=window), window=window,
                           time_zone=so.time_zone),
        "points": points, "map_config": _map_config(points) if points else None,
        "conflicts": grid_conflicts(system_operator=so, window=window),
    })


def _engineer_operators(request: HttpRequest):
    operators = area_upload_operators_for_user(user=request.user)
    if not operators.exists():
        raise PermissionDenied  # only an operator's engineers upload its records
    return operators


@login_required
def records_upload(request: HttpRequest) -> HttpResponse:
    operators = _engineer_operators(request)
    if request.method == "POST" and (refusal := upload_refusal(request)):
        messages.error(request, refusal)
        return redirect("register:upload")
    form = RecordsUploadForm(request.POST or None, request.FILES or None, operators=operators)
    problems, status, read_as = None, 200, ""
    if request.method == "POST":
        status = 400
        if form.is_valid():
            so = form.cleaned_data["system_operator"]
            try:
                ingest = records_csv_ingest(
                    caller=request.user, system_operator=so, content=form.cleaned_data["file"].read()
                )
            except CsvRefused as exc:
                problems, status, read_as = exc.lines, 409 if exc.conflict else 400, exc.read_as
            else:
                result = ingest.result
                messages.success(request, ngettext(
                    "%(count)s row read: %(created)s created, %(revised)s revised, %(unchanged)s unchanged.",
                    "%(count)s rows read: %(created)s created, %(revised)s revised, %(unchanged)s unchanged.",
                    result.batch.received,
                ) % {"count": result.batch.received, "created": result.created, "revised": result.revised,
                     "unchanged": result.unchanged} + " " + ingest.read_as)
                return redirect(f"{reverse('register:my-grid')}?so={so.pk}")
    return render(request, "register/upload.html", {
        "form": form, "problems": problems, "columns": COLUMNS, "read_as": read_as,
    }, status=status)


@login_required
@require_GET
def records_template(request: HttpRequest) -> HttpResponse:
    _engineer_operators(request)
    # ?variant=excel: semicolons, a BOM and decimal commas (common.exports).
    return csv_response(
        records_template_rows(), filename="gridprequal-register-template",
        variant=csv_variant(request.GET.get("variant")), stream=False,
    )

"""Pages: an FSP's resources and their forecasts for the next 48 hours, and one SPU's or SPG's
forecast as a chart, a map with a time slider (its data as JSON) and a table (SPEC R12, §5).

Each reads "as of" a moment from the query (`?as_of=`, local time): what was published by then.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from common.pagination import paginate
from forecasts.forms import AsOfForm
from forecasts.maps import forecast_map_data
from forecasts.selectors import forecast_for_spg, forecast_for_spu
from forecasts.selectors_resources import forecast_overview, fsp_resources_for_user
from forecasts.timeline import DIRECTIONS, chart, resource_timeline
from observability.maps import map_settings

READERS = {"spu": forecast_for_spu, "spg": forecast_for_spg}


def _as_of(request: HttpRequest) -> tuple[AsOfForm, object]:
    form = AsOfForm(request.GET)
    return form, form.moment()


@login_required
@require_GET
def resources(request: HttpRequest) -> HttpResponse:
    """The FSP's SPGs and a page of its SPUs, each with its worst level up and down."""
    form, as_of = _as_of(request)
    spus, spgs = fsp_resources_for_user(user=request.user)
    page = paginate(request, spus)
    overview = forecast_overview(spus=list(page.object_list), spgs=list(spgs), as_of=as_of)
    return render(
        request,
        "forecasts/resources.html",
        {"form": form, "overview": overview, "page_obj": page, "as_of_query": _query(form, as_of)},
    )


def _query(form: AsOfForm, as_of) -> str:
    """`?as_of=…` carried to the links when a moment was asked for, else empty."""
    if form.is_valid() and form.cleaned_data["as_of"] is not None:
        return "?" + urlencode({"as_of": form.data["as_of"]})
    return ""


def _resource_page(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    form, as_of = _as_of(request)
    found = READERS[kind](user=request.user, pk=pk, as_of=as_of)
    timeline = resource_timeline(found.zones, start=found.start, end=found.end)
    data_url = reverse(f"forecasts:{kind}-forecast-map", args=[pk]) + "?" + urlencode(
        {"as_of": as_of.isoformat()}
    )
    return render(
        request,
        "forecasts/resource_forecast.html",
        {
            "kind": kind,
            "resource": found.resource,
            "form": form,
            "zones": found.zones,
            "start": found.start,
            "end": found.end,
            "worst": {direction: timeline.worst(direction) for direction in DIRECTIONS},
            "chart": chart(timeline),
            "map_config": {**map_settings(), "dataUrl": data_url},
        },
    )


@login_required
@require_GET
def spu_forecast(request: HttpRequest, pk: int) -> HttpResponse:
    return _resource_page(request, "spu", pk)


@login_required
@require_GET
def spg_forecast(request: HttpRequest, pk: int) -> HttpResponse:
    return _resource_page(request, "spg", pk)


def _map(request: HttpRequest, kind: str, pk: int) -> JsonResponse:
    _form, as_of = _as_of(request)
    found = READERS[kind](user=request.user, pk=pk, as_of=as_of)
    return JsonResponse(forecast_map_data(found))


@login_required
@require_GET
def spu_forecast_map(request: HttpRequest, pk: int) -> JsonResponse:
    return _map(request, "spu", pk)


@login_required
@require_GET
def spg_forecast_map(request: HttpRequest, pk: int) -> JsonResponse:
    return _map(request, "spg", pk)

"""Pages: an SO's grid zones and forecast publications (upload, publish, list) (SPEC §5). The
resources' forecast pages are in forecasts.resource_views."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from common.pagination import paginate
from common.uploads import upload_refusal
from forecasts.discipline import discipline_for_page
from forecasts.forms import PublishForm, ZoneUploadForm
from forecasts.selectors import grid_zone_versions_current, publication_list_for_user
from forecasts.services import PublicationRefused, grid_zone_upload, publication_create
from observability.selectors import area_upload_operators_for_user, system_operators_for_user


def _page(request: HttpRequest, *, zone_form=None, publish_form=None, problems=None, status=200):
    operators = system_operators_for_user(user=request.user)
    if not operators.exists():
        raise PermissionDenied
    engineer_of = area_upload_operators_for_user(user=request.user)
    writes = engineer_of.exists()
    so_ids = list(operators.values_list("pk", flat=True))
    zones = [v for v in grid_zone_versions_current() if v.zone.system_operator_id in so_ids]
    publications = publication_list_for_user(user=request.user).filter(
        system_operator_id__in=so_ids
    )
    return render(
        request,
        "forecasts/so_page.html",
        {
            "zones": zones,
            "publications": paginate(request, publications),
            "zone_form": zone_form or (ZoneUploadForm(operators=engineer_of) if writes else None),
            "publish_form": publish_form
            or (PublishForm(operators=engineer_of) if writes else None),
            "problems": problems,
            "discipline": discipline_for_page(system_operators=operators),
        },
        status=status,
    )


@login_required
@require_GET
def so_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


def _require_engineer(request: HttpRequest):
    operators = area_upload_operators_for_user(user=request.user)
    if not operators.exists():
        raise PermissionDenied
    return operators


@login_required
@require_POST
def zone_upload(request: HttpRequest) -> HttpResponse:
    operators = _require_engineer(request)
    if refusal := upload_refusal(request):
        messages.error(request, refusal)
        return redirect("forecasts:so-page")
    form = ZoneUploadForm(request.POST, request.FILES, operators=operators)
    if form.is_valid():
        data = form.cleaned_data
        try:
            version = grid_zone_upload(
                user=request.user,
                system_operator=data["system_operator"],
                code=data["code"],
                name=data["name"],
                file=data["file"],
                filename=getattr(data["file"], "name", ""),
                whole_area=data["whole_area"],
                repair=data["repair"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Grid zone %(code)s stored.") % {"code": version.zone.code})
            return redirect("forecasts:so-page")
    return _page(request, zone_form=form, status=400)


@login_required
@require_POST
def publish(request: HttpRequest) -> HttpResponse:
    operators = _require_engineer(request)
    if refusal := upload_refusal(request):
        messages.error(request, refusal)
        return redirect("forecasts:so-page")
    form = PublishForm(request.POST, request.FILES, operators=operators)
    problems = None
    if form.is_valid():
        data, csv_file = form.cleaned_data, form.csv_file()
        try:
            publication = publication_create(
                user=request.user,
                system_operator=data["system_operator"],
                horizon=data["horizon"],
                mtu_minutes=data["mtu_minutes"],
                csv_text=csv_file,
                source=data["file"].name,
            )
        except PublicationRefused as exc:
            problems = exc.problems
            form.add_error(None, exc.message_dict["__all__"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            published = ngettext(
                "Forecast published: %(rows)s row.", "Forecast published: %(rows)s rows.",
                publication.row_count,
            ) % {"rows": publication.row_count}
            messages.success(request, f"{published} {csv_file.description()}")
            return redirect("forecasts:so-page")
    return _page(request, publish_form=form, problems=problems, status=400)

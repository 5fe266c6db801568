"""Observability-area upload pages: choose a file → progress while a worker checks it → preview
with the change's impact → confirm (SPEC §5)."""

from __future__ import annotations

import shapely
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.uploads import upload_refusal
from observability.area_staging import area_upload_confirm, area_upload_get_for_user, area_upload_start
from observability.forms import AreaConfirmForm, AreaUploadForm
from observability.maps import (
    MAP_POINT_LIMIT,
    MAP_SIMPLIFY_DEG,
    area_feature,
    map_feature,
    map_settings,
    point_features,
)
from observability.models import AreaUpload
from observability.selectors import (
    area_list_for_user,
    area_upload_operators_for_user,
    connection_point_list_for_user,
)
from observability.tasks import area_upload_queue

# While a worker checks the file, the progress page reloads itself this often (seconds).
PROGRESS_REFRESH_S = 2


def _require_uploader(request: HttpRequest) -> None:
    if not area_upload_operators_for_user(user=request.user).exists():
        raise PermissionDenied(_("Only SO engineers upload observability areas."))


def _form_with_errors(request: HttpRequest, errors: dict, *, initial=None) -> AreaUploadForm:
    form = AreaUploadForm(initial=initial, user=request.user)
    form.cleaned_data = {}  # an unbound form that shows the messages of a refused upload
    for field, messages_ in errors.items():
        form.add_error(field if field in form.fields else None, messages_)
    return form


@login_required
@require_http_methods(["GET", "POST"])
def area_upload(request: HttpRequest) -> HttpResponse:
    """Step 1: choose a file; on POST, keep it and queue its check, then show the progress."""
    _require_uploader(request)
    if request.method == "POST" and (refusal := upload_refusal(request)):
        form = _form_with_errors(request, {"file": [refusal]})
        return render(request, "observability/area_upload.html", {"form": form}, status=413)
    form = AreaUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            staged = area_upload_start(
                user=request.user, system_operator=form.cleaned_data["system_operator"], file=upload,
                filename=upload.name, repair=form.cleaned_data["repair"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            area_upload_queue(staged)
            return redirect("observability:area-upload-status", pk=staged.pk)
    return render(request, "observability/area_upload.html", {"form": form})


@login_required
@require_GET
def area_upload_status(request: HttpRequest, pk) -> HttpResponse:
    """Step 2: the progress (reloading itself), then the preview with the confirm form, or the
    upload form with the message on the file field."""
    upload = area_upload_get_for_user(user=request.user, pk=pk)
    status = AreaUpload.Status
    if upload.status == status.STORED and upload.version_id:
        return redirect("observability:area-detail", pk=upload.version_id)
    if upload.status == status.FAILED:
        initial = {"system_operator": upload.system_operator_id}
        form = _form_with_errors(request, upload.errors, initial=initial)
        return render(request, "observability/area_upload.html", {"form": form, "upload": upload})
    if upload.status == status.READY:
        confirm = AreaConfirmForm(
            initial={"token": upload.pk, "valid_from": timezone.localtime().replace(second=0, microsecond=0)}
        )
        return render(request, "observability/area_preview.html",
                      _preview_context(request, upload=upload, confirm_form=confirm))
    return render(request, "observability/area_upload_progress.html",
                  {"upload": upload, "refresh_s": PROGRESS_REFRESH_S})


def _preview_context(request, *, upload: AreaUpload, confirm_form) -> dict:
    so = upload.system_operator
    preview = upload.preview
    min_lon, min_lat, max_lon, max_lat = preview["bbox"]
    features = [
        area_feature(a, simplify=MAP_SIMPLIFY_DEG, role="neighbour")
        for a in area_list_for_user(user=request.user, current=True)
        .exclude(system_operator=so)
        .filter(min_lon__lte=max_lon + 1, max_lon__gte=min_lon - 1,
                min_lat__lte=max_lat + 1, max_lat__gte=min_lat - 1)
    ]
    current = area_list_for_user(user=request.user, current=True, system_operator_id=so.pk).first()
    if current is not None:
        features.append(area_feature(current, simplify=MAP_SIMPLIFY_DEG, role="current"))
    features.append(map_feature(
        upload_geometry(upload), kind="area", role="preview", system_operator=so.name, tier=so.tier,
        area_km2=round(preview["area_km2"], 1),
    ))
    points = connection_point_list_for_user(user=request.user).filter(connecting_so=so).order_by("pk")
    features += point_features(points[:MAP_POINT_LIMIT])
    return {
        "upload": upload,
        "preview": preview,
        "impact": preview["impact"],
        "system_operator": so,
        "confirm_form": confirm_form,
        "current": current,
        "map_config": {**map_settings(), "data": {"type": "FeatureCollection", "features": features},
                       "focus": "preview"},
    }


def upload_geometry(upload: AreaUpload):
    return shapely.from_wkb(bytes(upload.geometry_wkb))


@login_required
@require_POST
def area_upload_confirm_view(request: HttpRequest) -> HttpResponseRedirect:
    """Step 3: store the previewed area as a new version from the chosen time."""
    form = AreaConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose when the new version becomes valid."))
        return redirect("observability:area-upload")
    upload = area_upload_get_for_user(user=request.user, pk=form.cleaned_data["token"])
    try:
        version = area_upload_confirm(
            user=request.user, upload=upload, valid_from=form.cleaned_data["valid_from"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(m for msgs in exc.message_dict.values() for m in msgs))
        return redirect("observability:area-upload")
    messages.success(
        request,
        _("New observability area of %(so)s stored, valid from %(when)s.")
        % {"so": upload.system_operator,
           "when": timezone.localtime(version.valid_from).strftime("%Y-%m-%d %H:%M")},
    )
    return redirect("observability:area-detail", pk=version.pk)

"""Pages: temporary limits (SO engineers set them, FSPs see those on their resources) and the
activation check tried by hand."""

from __future__ import annotations

import json
import zoneinfo
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.selectors import user_roles
from common.listing import listing_apply, listing_export
from common.numbers import numbers_for_reader
from common.pagination import paginate
from limits.activation import activation_check as run_activation_check
from limits.activation.access import (
    activation_caller,
    activation_resource_for,
    activation_system_operators_for_user,
)
from limits.forms import ActivationCheckForm, LimitEditForm, LimitForm
from limits.history import limit_history
from limits.listings import LIMIT_LIST
from limits.models import LimitStatus
from limits.selectors import (
    current_area_geojson_for,
    limit_events,
    limit_forecast_cited,
    limit_get_for_user,
    limit_get_with_rights_for_user,
    limit_issuers_for_user,
    limit_list_for_user,
)
from limits.services import (
    TARGET_INPUT_FIELDS,
    limit_preview,
    limit_target_find,
    limit_update,
    limit_values_errors,
    local_time_label,
)
from limits.services import limit_create as create_limit
from limits.services import limit_lift as lift_limit
from limits.services.capacity import limit_capacity_flag_for_user
from prequal.selectors.resources import product_list

# Lazy: built at import, rendered in the language of each request.
CHANGED_RECENTLY = "7d"
STATUS_FILTERS = [
    ("current", gettext_lazy("Active and upcoming")),
    *LimitStatus.choices,
    ("", gettext_lazy("All")),
]


def _form_errors(form, exc: ValidationError, field_map: dict[str, str]) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.error_dict.items():
        name = field_map.get(key, key)
        for error in errors:
            form.add_error(name if name in form.fields else None, error)


@login_required
def limit_list(request: HttpRequest) -> HttpResponse:
    roles = user_roles(user=request.user)
    status = request.GET.get("status", "current")
    if status not in {key for key, _label in STATUS_FILTERS}:
        status = "current"
    # ?changed=7d (the FSP's dashboard): published, changed or lifted in the last 7 days.
    changed = request.GET.get("changed") == CHANGED_RECENTLY
    qs = limit_list_for_user(
        user=request.user, status=status or None,
        changed_since=timezone.now() - timedelta(days=7) if changed else None,
    )
    listing = listing_apply(request, qs, spec=LIMIT_LIST)
    if listing.export:
        return listing_export(listing)
    title = _("Limits on my resources") if roles.is_fsp and not roles.is_so else _("Temporary limits")
    return render(
        request,
        "limits/limit_list.html",
        {
            "listing": listing,
            "page_obj": paginate(request, listing.queryset),
            "status": status,
            "status_filters": STATUS_FILTERS,
            "changed": CHANGED_RECENTLY if changed else "",
            "title": title,
            "can_create": limit_issuers_for_user(user=request.user).exists(),
            "now": timezone.now(),
        },
    )


# What a link may fill in (?target_kind=spu&spu=12 from an SPU's page, say): the form still
# checks every value when it is submitted.
LIMIT_PREFILL = (
    "system_operator", "target_kind", "spu", "spg", "connection_point_gsrn",
    "forecast_publication", "forecast_zone",
)
VALUE_FIELDS = ("direction", "quantity_mw", "start", "end", "reason")
ACTIVATION_PREFILL = ("system_operator", "resource_kind", "resource_id", "product", "direction")


def _prefill(request: HttpRequest, names: tuple[str, ...]) -> dict:
    return {name: request.GET[name][:64] for name in names if request.GET.get(name)}


def _next_hour() -> dict:
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return {"start": start, "end": start + timedelta(hours=1)}


def _capacity_warning(limit, *, user) -> str:
    """The warning for a limit above its target's capacity (it has no effect); empty otherwise.
    Shown on the limit's page, where publishing and changing a limit lead."""
    flag = limit_capacity_flag_for_user(user=user, limit=limit)
    return flag.warning(quantity_mw=limit.quantity_mw) if flag else ""


@login_required
@numbers_for_reader()
def limit_create(request: HttpRequest) -> HttpResponse:
    operators = limit_issuers_for_user(user=request.user)
    if not operators.exists():
        raise PermissionDenied
    form = LimitForm(
        request.POST or None, request.FILES or None, operators=operators, user=request.user,
        initial=_prefill(request, LIMIT_PREFILL),
    )
    preview = capacity_warning = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        so = data["system_operator"]
        field_map = {"target": TARGET_INPUT_FIELDS[data["target_kind"]]}
        values = {k: data[k] for k in VALUE_FIELDS}
        try:
            try:
                targets = limit_target_find(
                    kind=data["target_kind"], **form.target_ids(),
                    area=data.get("area_file") or data.get("area") or None,
                )
            except ValidationError as exc:
                raise ValidationError({**exc.message_dict, **limit_values_errors(**values)}) from exc
            kwargs = dict(
                user=request.user, system_operator=so, target_kind=data["target_kind"], **targets, **values
            )
            if request.POST.get("action") == "preview":
                previewed = limit_preview(**kwargs)
                preview = previewed.publication.explain(time_zone=so.time_zone)
                capacity_warning = previewed.capacity.warning(quantity_mw=data["quantity_mw"])
            else:
                cited = {
                    "forecast_publication": data.get("forecast_publication"),
                    "forecast_zone": data.get("forecast_zone") or "",
                }
                limit = create_limit(**kwargs, **cited)
                messages.success(
                    request, _("Limit #%(id)s published; the FSPs concerned are notified.") % {"id": limit.pk}
                )
                return redirect("limits:limit-detail", pk=limit.pk)
        except ValidationError as exc:
            _form_errors(form, exc, field_map)
    if form.errors:
        _values_errors_too(form)
        messages.error(request, _("The limit was not published: see the errors below."))
    so = form._chosen_operator(operators)
    return render(
        request,
        "limits/limit_form.html",
        {
            "form": form,
            "preview": preview,
            "capacity_warning": capacity_warning,
            "limit": None,
            "area_geojson": current_area_geojson_for(system_operator=so) if so else None,
            "time_zone": so.time_zone if so else "",
        },
    )


def _values_errors_too(form) -> None:
    """When the target was not found (a picker's error), tell what is wrong with the values too,
    as the service does when it cannot find the target: one round of corrections, not two."""
    values = {k: form.cleaned_data.get(k) for k in VALUE_FIELDS}
    if any(name in form.errors for name in VALUE_FIELDS) or None in values.values():
        return
    if not any(name in form.errors for name in form.TARGET_PICKERS.values()):
        return
    for name, errors in limit_values_errors(**values).items():
        for error in errors:
            form.add_error(name if name in form.fields else None, error)


@login_required
@numbers_for_reader()
def limit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    limit, can_change = limit_get_with_rights_for_user(user=request.user, pk=pk)
    tz = limit.system_operator.time_zone
    history = limit_history(limit_events(limit=limit), time_zone=tz)
    return render(
        request,
        "limits/limit_detail.html",
        {
            "limit": limit,
            "history": history,
            "time_zone": tz,
            "can_change": can_change,
            "start_local": local_time_label(limit.start, time_zone=tz),
            "end_local": local_time_label(limit.end, time_zone=tz),
            "lifted_local": local_time_label(limit.lifted_at, time_zone=tz) if limit.lifted_at else "",
            "latest_local": local_time_label(limit.latest_allowed_at, time_zone=tz)
            if limit.latest_allowed_at
            else "",
            "area": json.loads(limit.area_geojson) if limit.area_geojson else None,
            "zone": zoneinfo.ZoneInfo(tz),
            "capacity_warning": _capacity_warning(limit, user=request.user),
            "forecast_cited": _forecast_cited(limit, tz),
        },
    )


def _forecast_cited(limit, tz: str) -> dict | None:
    cited = limit_forecast_cited(limit=limit)
    if cited is None:
        return None
    return {"cited": cited, "published_local": local_time_label(cited.publication.published_at, time_zone=tz)}


@login_required
@numbers_for_reader()
def limit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    limit = limit_get_for_user(user=request.user, pk=pk, write=True)
    tz = limit.system_operator.time_zone
    initial = {
        "direction": limit.direction,
        "quantity_mw": limit.quantity_mw,
        "start": limit.start,
        "end": limit.end,
        "reason": limit.reason,
    }
    form = LimitEditForm(request.POST or None, initial=initial, time_zone=tz)
    if request.method == "POST" and form.is_valid():
        try:
            limit_update(user=request.user, limit=limit, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc, {})
        else:
            messages.success(
                request, _("Limit #%(id)s changed; the FSPs concerned are notified.") % {"id": limit.pk}
            )
            return redirect("limits:limit-detail", pk=limit.pk)
    if form.errors:
        messages.error(request, _("The limit was not changed: see the errors below."))
    return render(request, "limits/limit_edit.html", {"form": form, "limit": limit, "time_zone": tz})


@require_http_methods(["GET", "POST"])
@login_required
def limit_lift(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm (a page of its own: works without JavaScript); POST lifts or withdraws."""
    limit = limit_get_for_user(user=request.user, pk=pk, write=True)
    withdraw = limit.status == LimitStatus.UPCOMING
    if request.method == "GET":
        if limit.status not in (LimitStatus.UPCOMING, LimitStatus.ACTIVE):
            messages.error(request, _("This limit was already lifted or has ended."))
            return redirect("limits:limit-detail", pk=limit.pk)
        tz = limit.system_operator.time_zone
        context = {
            "limit": limit,
            "withdraw": withdraw,
            "start_local": local_time_label(limit.start, time_zone=tz),
            "end_local": local_time_label(limit.end, time_zone=tz),
        }
        return render(request, "limits/limit_lift_confirm.html", context)
    try:
        lift_limit(user=request.user, limit=limit)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        done = (
            _("Limit #%(id)s withdrawn; the FSPs concerned are notified.")
            if withdraw
            else _("Limit #%(id)s lifted; the FSPs concerned are notified.")
        )
        messages.success(request, done % {"id": limit.pk})
    return redirect("limits:limit-detail", pk=limit.pk)


@login_required
@numbers_for_reader()
def activation_check(request: HttpRequest) -> HttpResponse:
    caller = activation_caller(user=request.user)
    if caller is None:
        raise PermissionDenied
    operators = activation_system_operators_for_user(caller=caller)
    # A link from a resource or case page fills in what it knows; the form's own submit (it has
    # the quantity) asks.
    asked = "quantity_mw" in request.GET
    form = ActivationCheckForm(
        request.GET if asked else None, operators=operators, products=product_list(), user=request.user,
        initial=None if asked else {**_next_hour(), **_prefill(request, ACTIVATION_PREFILL)},
    )
    verdict = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        kind = data["resource_kind"]
        resource = activation_resource_for(
            caller=caller,
            system_operator=data["system_operator"],
            product=data["product"],
            **{f"{kind}_id": data["resource_id"].pk},
        )
        if resource is None:
            form.add_error("resource_id", _("No such resource that you may check."))
        else:
            try:
                verdict = run_activation_check(
                    system_operator=data["system_operator"],
                    resource=resource,
                    product=data["product"],
                    direction=data["direction"],
                    quantity_mw=data["quantity_mw"],
                    start=data["start"],
                    end=data["end"],
                    caller=caller,
                )
            except ValidationError as exc:
                _form_errors(form, exc, {})
    tz = form.fields["start"].time_zone
    return render(
        request,
        "limits/activation_check.html",
        {"form": form, "verdict": verdict, "time_zone": tz, **_verdict_rows(verdict, tz)},
    )


def _verdict_rows(verdict, tz: str) -> dict:
    """The binding limits and conditions, each with whether the caller reads it in full."""
    if verdict is None:
        return {"limit_rows": [], "condition_rows": []}
    return {
        "limit_rows": [
            {
                "limit": x,
                "shown": verdict.readable.limit(x),
                "start": local_time_label(x.start, time_zone=tz),
                "end": local_time_label(x.effective_end, time_zone=tz),
            }
            for x in verdict.limits
        ],
        "condition_rows": [
            {"condition": c, "shown": verdict.readable.condition(c)} for c in verdict.conditions
        ],
    }

"""FSP portal pages: SPUs, SPGs and their memberships, and the product catalogue."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import user_roles
from common.exceptions import ApplicationError
from common.listing import listing_apply, listing_export
from common.pagination import paginate
from prequal.forms import (
    SpgEditForm,
    SpgFilterForm,
    SpgForm,
    SpgMemberAddForm,
    SpgMemberEndForm,
    SpuEditForm,
    SpuFilterForm,
    SpuForm,
    form_add_service_errors,
)
from prequal.listings import SPG_LIST, SPU_LIST
from prequal.models import Fsp, Spg, SpgMembership
from prequal.selectors import resources as selectors
from prequal.selectors.resource_states import resource_product_states
from prequal.services import resources as services


def _own_fsps(user) -> QuerySet[Fsp]:
    """The FSPs the user acts for; registering anything needs at least one."""
    fsps = selectors.fsps_for_user(user=user)
    if not fsps:
        raise PermissionDenied
    return fsps


def _messages_of(exc: ValidationError | ApplicationError) -> str:
    if isinstance(exc, ApplicationError):
        return exc.message
    return " ".join(str(m) for m in exc.messages)


def _active(status: str | None) -> bool | None:
    """The list filter's status as the selectors take it: active, deactivated or all (None)."""
    return {"inactive": False, "all": None}.get(status or "active", True)


def _filter_status(qs: QuerySet, status: str) -> QuerySet:
    active = _active(status)
    return qs if active is None else qs.filter(is_active=active)


def _can_write(user, fsp_id: int) -> bool:
    return Fsp.objects.filter(pk=fsp_id, organisation_id__in=user_roles(user=user).fsp_org_ids).exists()


# --- SPUs ------------------------------------------------------------------------------------


@login_required
def spu_list(request: HttpRequest) -> HttpResponse:
    form = SpuFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    # In code order; an SO's page and count come off its reader rows (SpuQuerySet.read_by).
    qs = selectors.spu_list_for_user(user=request.user, active=_active(data.get("status")))
    if data.get("technology"):
        qs = qs.filter(technology=data["technology"])
    # The search box (`q`, code, name, GSRN or FSP) and the sort are the list toolkit's.
    listing = listing_apply(request, qs, spec=SPU_LIST, form=form)
    if listing.export:
        return listing_export(listing)
    return render(request, "prequal/spu_list.html", {
        "filter_form": form, "listing": listing, "page_obj": paginate(request, listing.queryset),
        "can_register": user_roles(user=request.user).is_fsp,
    })


@login_required
def spu_create(request: HttpRequest) -> HttpResponse:
    fsps = _own_fsps(request.user)
    form = SpuForm(request.POST or None, fsps=fsps, initial={"gsrn": request.GET.get("gsrn", "")})
    if request.method == "POST" and form.is_valid():
        try:
            fsp = services.fsp_for_user(user=request.user, fsp=form.chosen_fsp())
            spu = services.spu_register(user=request.user, fsp=fsp, **form.service_kwargs())
        except ValidationError as exc:
            form_add_service_errors(form, exc, field_map=form.FIELD_MAP)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("SPU %(code)s registered at %(gsrn)s.")
                             % {"code": spu.code, "gsrn": spu.connection_point.gsrn})
            return redirect("prequal:spu-detail", pk=spu.pk)
    if form.errors:
        messages.error(request, _("The SPU was not registered: see the errors below."))
    return render(request, "prequal/spu_form.html", {"form": form, "spu": None})


@login_required
def spu_detail(request: HttpRequest, pk: int) -> HttpResponse:
    spu = selectors.spu_get_for_user(user=request.user, pk=pk)
    memberships = spu.spg_memberships.select_related("spg").order_by("-valid_from")
    now = timezone.now()
    can_edit = _can_write(request.user, spu.fsp_id)
    return render(request, "prequal/spu_detail.html", {
        "spu": spu, "can_edit": can_edit,
        "memberships": [_with_state(m, now) for m in memberships],
        **_product_states_context(request, spu=spu, can_apply=can_edit and spu.is_active),
    })


def _product_states_context(request: HttpRequest, *, can_apply: bool, spu=None, spg=None) -> dict:
    """What prequal/_product_states.html reads: the state per product, and a link to apply."""
    resource = spu or spg
    return {
        "product_states": resource_product_states(user=request.user, spu=spu, spg=spg),
        "can_apply": can_apply, "kind": "spu" if spu else "spg", "code": resource.code,
    }


@login_required
def spu_edit(request: HttpRequest, pk: int) -> HttpResponse:
    spu = selectors.spu_get_for_user(user=request.user, pk=pk, write=True)
    if not spu.is_active:
        messages.error(request, _("The SPU is deactivated; it cannot be changed."))
        return redirect("prequal:spu-detail", pk=spu.pk)
    form = SpuEditForm(request.POST or None, spu=spu)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        if not changes:
            messages.info(request, _("Nothing changed."))
            return redirect("prequal:spu-detail", pk=spu.pk)
        try:
            services.spu_update(user=request.user, spu=spu, **changes)
        except ValidationError as exc:
            form_add_service_errors(form, exc, field_map=form.FIELD_MAP)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("SPU %(code)s saved.") % {"code": spu.code})
            return redirect("prequal:spu-detail", pk=spu.pk)
    if form.errors:
        messages.error(request, _("The SPU was not saved: see the errors below."))
    return render(request, "prequal/spu_form.html", {"form": form, "spu": spu})


@require_POST
@login_required
def spu_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    spu = selectors.spu_get_for_user(user=request.user, pk=pk, write=True)
    try:
        services.spu_deactivate(user=request.user, spu=spu)
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(
            request, _("SPU %(code)s deactivated; its group memberships have ended.") % {"code": spu.code}
        )
    return redirect("prequal:spu-detail", pk=spu.pk)


# --- SPGs ------------------------------------------------------------------------------------


def _with_state(membership: SpgMembership, now) -> SpgMembership:
    """Label the membership current, planned or ended (for display)."""
    if membership.valid_from > now:
        membership.state, membership.state_label = "planned", _("Planned")
    elif membership.valid_to is not None and membership.valid_to <= now:
        membership.state, membership.state_label = "ended", _("Ended")
    else:
        membership.state, membership.state_label = "current", _("Current")
    return membership


@login_required
def spg_list(request: HttpRequest) -> HttpResponse:
    form = SpgFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    # Meta.ordering does not apply to the selector's GROUP BY (member count): order explicitly.
    qs = _filter_status(selectors.spg_list_for_user(user=request.user), data.get("status") or "active")
    qs = qs.order_by("code", "pk")
    if data.get("bidding_zone"):
        qs = qs.filter(bidding_zone__iexact=data["bidding_zone"].strip())
    listing = listing_apply(request, qs, spec=SPG_LIST, form=form)
    if listing.export:
        return listing_export(listing)
    return render(request, "prequal/spg_list.html", {
        "filter_form": form, "listing": listing, "page_obj": paginate(request, listing.queryset),
        "can_create": user_roles(user=request.user).is_fsp,
    })


@login_required
def spg_create(request: HttpRequest) -> HttpResponse:
    fsps = _own_fsps(request.user)
    form = SpgForm(request.POST or None, fsps=fsps)
    if request.method == "POST" and form.is_valid():
        try:
            fsp = services.fsp_for_user(user=request.user, fsp=form.chosen_fsp())
            spg = services.spg_create(
                user=request.user, fsp=fsp, code=form.cleaned_data["code"],
                name=form.cleaned_data["name"], bidding_zone=form.cleaned_data["bidding_zone"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc, field_map=form.FIELD_MAP)
        else:
            messages.success(request, _("SPG %(code)s created; now add its members.") % {"code": spg.code})
            return redirect("prequal:spg-detail", pk=spg.pk)
    if form.errors:
        messages.error(request, _("The SPG was not created: see the errors below."))
    return render(request, "prequal/spg_form.html", {"form": form, "spg": None})


def _spg_detail_context(request: HttpRequest, spg: Spg, add_form: SpgMemberAddForm | None = None) -> dict:
    can_edit = _can_write(request.user, spg.fsp_id)
    now = timezone.now()
    if add_form is None and can_edit and spg.is_active:
        add_form = SpgMemberAddForm(spg=spg, user=request.user)
    return {
        "spg": spg, "can_edit": can_edit, "add_form": add_form,
        "memberships": [_with_state(m, now) for m in selectors.spg_memberships(spg=spg)],
        **_product_states_context(request, spg=spg, can_apply=can_edit and spg.is_active),
    }


@login_required
def spg_detail(request: HttpRequest, pk: int) -> HttpResponse:
    spg = selectors.spg_get_for_user(user=request.user, pk=pk)
    return render(request, "prequal/spg_detail.html", _spg_detail_context(request, spg))


@login_required
def spg_edit(request: HttpRequest, pk: int) -> HttpResponse:
    spg = selectors.spg_get_for_user(user=request.user, pk=pk, write=True)
    if not spg.is_active:
        messages.error(request, _("The SPG is deactivated; it cannot be changed."))
        return redirect("prequal:spg-detail", pk=spg.pk)
    form = SpgEditForm(request.POST or None, initial={"name": spg.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.spg_update(user=request.user, spg=spg, name=form.cleaned_data["name"])
        except ValidationError as exc:
            form_add_service_errors(form, exc, field_map=form.FIELD_MAP)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("SPG %(code)s saved.") % {"code": spg.code})
            return redirect("prequal:spg-detail", pk=spg.pk)
    if form.errors:
        messages.error(request, _("The SPG was not saved: see the errors below."))
    return render(request, "prequal/spg_form.html", {"form": form, "spg": spg})


@require_POST
@login_required
def spg_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    spg = selectors.spg_get_for_user(user=request.user, pk=pk, write=True)
    try:
        services.spg_deactivate(user=request.user, spg=spg)
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(
            request, _("SPG %(code)s deactivated; its memberships have ended.") % {"code": spg.code}
        )
    return redirect("prequal:spg-detail", pk=spg.pk)


@require_POST
@login_required
def spg_member_add(request: HttpRequest, pk: int) -> HttpResponse:
    spg = selectors.spg_get_for_user(user=request.user, pk=pk, write=True)
    form = SpgMemberAddForm(request.POST, spg=spg, user=request.user)
    if form.is_valid():
        try:
            membership = services.spg_member_add(
                user=request.user, spg=spg, spu=form.cleaned_data["spu"],
                valid_from=form.cleaned_data["valid_from"], valid_to=form.cleaned_data["valid_to"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc, field_map=form.FIELD_MAP)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("SPU %(spu)s added to %(spg)s.")
                             % {"spu": membership.spu.code, "spg": spg.code})
            return redirect("prequal:spg-detail", pk=spg.pk)
    messages.error(request, _("The member was not added: see the errors below."))
    return render(request, "prequal/spg_detail.html", _spg_detail_context(request, spg, form), status=400)


@require_POST
@login_required
def spg_member_end(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    spg = selectors.spg_get_for_user(user=request.user, pk=pk, write=True)
    membership = get_object_or_404(selectors.spg_memberships(spg=spg), pk=membership_pk)
    form = SpgMemberEndForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(m) for errors in form.errors.values() for m in errors))
        return redirect("prequal:spg-detail", pk=spg.pk)
    try:
        services.spg_member_end(user=request.user, membership=membership, at=form.cleaned_data["at"])
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(request, _("The membership of %(spu)s in %(spg)s has ended.")
                         % {"spu": membership.spu.code, "spg": spg.code})
    return redirect("prequal:spg-detail", pk=spg.pk)


# --- Products --------------------------------------------------------------------------------


@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    return render(request, "prequal/product_list.html", {
        "page_obj": paginate(request, selectors.product_list()),
    })

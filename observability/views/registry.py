"""Registry pages: system operators and their hierarchy, connection points."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from common.listing import listing_apply, listing_export
from common.pagination import paginate
from observability.listings import CONNECTION_POINT_LIST
from observability.models import SystemOperator
from observability.selectors import (
    connection_point_list_for_user,
    system_operator_list,
)


class OperatorFilterForm(forms.Form):
    tier = forms.ChoiceField(
        label=_("Tier"), required=False, choices=[("", _("Any")), *SystemOperator.Tier.choices]
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100, help_text=_("Name or EIC"))


class ConnectionPointFilterForm(forms.Form):
    bidding_zone = forms.CharField(label=_("Bidding zone"), required=False, max_length=10)
    q = forms.CharField(label=_("Search"), required=False, max_length=100, help_text=_("GSRN or operator"))


@login_required
def operator_list(request: HttpRequest) -> HttpResponse:
    form = OperatorFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    qs = system_operator_list(tier=data.get("tier") or None)
    if data.get("q"):
        q = data["q"].strip()
        qs = qs.filter(Q(organisation__name__icontains=q) | Q(organisation__eic_code__iexact=q))
    return render(request, "observability/operator_list.html", {
        "filter_form": form, "page_obj": paginate(request, qs),
    })


@login_required
def operator_detail(request: HttpRequest, pk: int) -> HttpResponse:
    so = get_object_or_404(system_operator_list(), pk=pk)
    return render(request, "observability/operator_detail.html", {
        "so": so,
        "upstream_chain": so.upstream_chain(),
        "downstream": so.downstream.select_related("organisation").order_by("organisation__name"),
    })


@login_required
def connection_point_list(request: HttpRequest) -> HttpResponse:
    form = ConnectionPointFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    qs = connection_point_list_for_user(user=request.user)
    if data.get("bidding_zone"):
        qs = qs.filter(bidding_zone__iexact=data["bidding_zone"].strip())
    listing = listing_apply(request, qs, spec=CONNECTION_POINT_LIST, form=form)  # search `q`, sort
    if listing.export:
        return listing_export(listing)
    return render(request, "observability/connection_point_list.html", {
        "filter_form": form, "listing": listing, "page_obj": paginate(request, listing.queryset),
    })

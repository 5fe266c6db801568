"""Scoped reads of FSP resources. Outsiders get 404, never 403 (SPEC §4)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from accounts.selectors import Roles, user_roles
from observability.selectors import connection_point_readers_add
from prequal.models import Fsp, Product, Spg, Spu


def fsps_for_user(*, user) -> QuerySet[Fsp]:
    """The FSPs the user acts for."""
    roles = user_roles(user=user)
    return Fsp.objects.filter(organisation_id__in=roles.fsp_org_ids).select_related("organisation")


def spu_list_for_user(*, user) -> QuerySet[Spu]:
    """FSP users see their own organisation's SPUs; SOs the SPUs on their grid; NRA all."""
    roles = user_roles(user=user)
    qs = Spu.objects.select_related(
        "fsp__organisation", "connection_point__connecting_so__organisation"
    )
    if roles.sees_everything:
        return qs
    scope = Q(pk__in=[])
    if roles.is_fsp:
        # The FSPs' ids, not a join on their organisation: with `fsp_id = X` a page of an
        # aggregator's 100,000 units comes in code order off the index (fsp, code) instead of
        # sorting them all (one small query more).
        fsp_ids = list(Fsp.objects.filter(organisation_id__in=roles.fsp_org_ids).values_list("pk", flat=True))
        scope |= Q(fsp_id__in=fsp_ids)
    if roles.is_so:
        scope |= Q(connection_point__connecting_so__organisation_id__in=roles.so_org_ids)
    return qs.filter(scope)


def connection_point_fsp_reader(roles: Roles) -> Q | None:
    """An FSP sees the connection points of its own SPUs (one of observability's point readers).

    An IN on the points of the FSP's SPUs, read through the SPU table's FSP index, not a
    correlated EXISTS per point: SQLite ran that by walking every point of the registry and
    looking up its SPUs, minutes for an aggregator's 200,000 points (plan tested in
    tests/platform/test_explain_points.py).
    """
    if not roles.is_fsp:
        return None
    fsp_ids = list(Fsp.objects.filter(organisation_id__in=roles.fsp_org_ids).values_list("pk", flat=True))
    return Q(pk__in=Spu.objects.filter(fsp_id__in=fsp_ids).values("connection_point_id"))


def connection_point_readers_register() -> None:
    """Add prequal's readers of connection points to observability's (PrequalConfig.ready)."""
    connection_point_readers_add(connection_point_fsp_reader)


def spu_get_for_user(*, user, pk: int, write: bool = False) -> Spu:
    """The SPU, or 404 if the user may not see it; PermissionDenied if they may not change it."""
    spu = get_object_or_404(spu_list_for_user(user=user), pk=pk)
    if write and spu.fsp.organisation_id not in user_roles(user=user).fsp_org_ids:
        raise PermissionDenied
    return spu


def spg_list_for_user(*, user) -> QuerySet[Spg]:
    roles = user_roles(user=user)
    # Meta.ordering does not apply to a GROUP BY query (the member count): order explicitly.
    qs = Spg.objects.select_related("fsp__organisation").annotate(
        member_count=Count("memberships", distinct=True)
    ).order_by("code", "pk")
    if roles.sees_everything:
        return qs
    scope = Q(pk__in=[])
    if roles.is_fsp:
        scope |= Q(fsp__organisation_id__in=roles.fsp_org_ids)
    if roles.is_so:
        scope |= Q(
            pk__in=Spg.objects.filter(
                memberships__spu__connection_point__connecting_so__organisation_id__in=(
                    roles.so_org_ids
                )
            ).values("pk")
        )
    return qs.filter(scope)


def spg_get_for_user(*, user, pk: int, write: bool = False) -> Spg:
    spg = get_object_or_404(spg_list_for_user(user=user), pk=pk)
    if write and spg.fsp.organisation_id not in user_roles(user=user).fsp_org_ids:
        raise PermissionDenied
    return spg


def spg_memberships(*, spg: Spg):
    return spg.memberships.select_related("spu__connection_point").order_by("-valid_from")


def product_by_code(*, code: str | None, active_only: bool = False, or_id: bool = False) -> Product | None:
    """The product with this code (with its procuring SO), or None: every lookup by code.

    `active_only`: only products still offered. `or_id`: a code of digits is the product's
    id (the activation check accepts either).
    """
    if code is None:
        return None
    qs = Product.objects.select_related("procuring_so__organisation")
    if active_only:
        qs = qs.filter(is_active=True)
    return (qs.filter(pk=int(code)) if or_id and code.isdigit() else qs.filter(code=code)).first()


def product_get_by_code(*, code: str, active_only: bool = False) -> Product:
    """product_by_code, or ValidationError on the field "product" when no product has the code."""
    product = product_by_code(code=code, active_only=active_only)
    if product is None:
        raise ValidationError({"product": _("No product has the code %(code)s.") % {"code": code}})
    return product


def product_list() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).select_related("procuring_so__organisation")

"""Scoped reads of FSP resources. Outsiders get 404, never 403 (SPEC §4)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from accounts.selectors import Roles, user_roles
from observability.models import ConnectionPoint
from observability.readers import connection_point_reader_sources_add
from observability.selectors import connection_point_readers_add, user_operator_ids
from prequal.models import Fsp, Product, Spg, SpgReader, Spu, SpuReader
from prequal.models.resources import SpuQuerySet


def fsps_for_user(*, user) -> QuerySet[Fsp]:
    """The FSPs the user acts for."""
    roles = user_roles(user=user)
    return Fsp.objects.filter(organisation_id__in=roles.fsp_org_ids).select_related("organisation")


def _spus_read_by_sos(so_ids: list[int]) -> QuerySet:
    """SPEC §4: the ids of the SPUs these SOs read (at the points they connect, in the cases they
    assess), from their reader rows (prequal.models.readers)."""
    return SpuReader.objects.filter(system_operator_id__in=so_ids).values("spu_id")


def _spgs_read_by_sos(so_ids: list[int]) -> QuerySet:
    """The ids of the SPGs these SOs read: with a member on their grid, or in a case they assess."""
    return SpgReader.objects.filter(system_operator_id__in=so_ids).values("spg_id")


def _fsp_ids(roles: Roles) -> list[int]:
    """The ids of the user's FSPs: the FSP lists filter on them, not through a join on the
    organisation (one small query more)."""
    return list(Fsp.objects.filter(organisation_id__in=roles.fsp_org_ids).values_list("pk", flat=True))


def spu_list_for_user(*, user, active: bool | None = None) -> SpuQuerySet:
    """The SPUs the user reads, in code order; active (True), deactivated (False) or all (None).

    FSP users see their own organisation's SPUs; SOs the SPUs on their grid and in the cases
    they assess (SPEC §4); NRA all. A user of one SO pages and counts off its reader rows
    (`SpuQuerySet.read_by`): the TSO reads about 200,000 of SPEC §7's million units.
    """
    roles = user_roles(user=user)
    qs = Spu.objects.select_related(
        "fsp__organisation", "connection_point__connecting_so__organisation"
    )
    if roles.sees_everything:
        return qs.active(active).order_by("code", "pk")
    fsp_ids = _fsp_ids(roles) if roles.is_fsp else []
    # The operators' ids, not a join on their organisation (one small query more, cached).
    so_ids = sorted(user_operator_ids(user=user))
    if len(so_ids) == 1 and not fsp_ids:
        return qs.read_by(system_operator_id=so_ids[0]).active(active)
    # With `fsp_id = X` a page of an aggregator's 100,000 units comes in code order off the
    # index (fsp, code) instead of sorting them all.
    scope = Q(pk__in=[])
    if fsp_ids:
        scope |= Q(fsp_id__in=fsp_ids)
    if so_ids:
        scope |= Q(pk__in=_spus_read_by_sos(so_ids))
    return qs.filter(scope).active(active).order_by("code", "pk")


def connection_point_fsp_reader(roles: Roles) -> Q | None:
    """An FSP sees the connection points of its own SPUs (one of observability's point readers).

    An IN on the points of the FSP's SPUs, read through the SPU table's FSP index, not a
    correlated EXISTS per point: SQLite ran that by walking every point of the registry and
    looking up its SPUs, minutes for an aggregator's 200,000 points (plan tested in
    tests/platform/test_explain_points.py).
    """
    if not roles.is_fsp:
        return None
    return Q(pk__in=Spu.objects.filter(fsp_id__in=_fsp_ids(roles)).values("connection_point_id"))


def point_readers_of_units(points: QuerySet[ConnectionPoint]) -> QuerySet:
    """(operator, point, GSRN) for the SPU readers of units at `points`: who reads a unit reads
    its point (SPEC §4; a source of observability's point reader rows)."""
    return SpuReader.objects.filter(connection_point__in=points).values_list(
        "system_operator_id", "connection_point_id", "connection_point__gsrn"
    )


def connection_point_readers_register() -> None:
    """Add prequal's readers of connection points to observability's (PrequalConfig.ready): an
    FSP's filter, and the SO rows of the points of the units they read."""
    connection_point_readers_add(connection_point_fsp_reader)
    connection_point_reader_sources_add(point_readers_of_units)


def connection_points_foreign(*, fsp_id: int, point_ids: Iterable[int]) -> set[int]:
    """The registered points among `point_ids` that belong to another FSP.

    A connection point has no owner column: it belongs to the FSP that registered the first
    unit there, i.e. the FSP whose units (active or not) are at it. Another FSP may neither
    register a unit there nor move one there, and is not told whose point it is. A point with
    no unit at all belongs to no one yet. Read by the SPU services and the CSV import.
    """
    return set(
        Spu.objects.filter(connection_point_id__in=list(point_ids)).exclude(fsp_id=fsp_id)
        .values_list("connection_point_id", flat=True).distinct()
    )


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
        scope |= Q(pk__in=_spgs_read_by_sos(sorted(user_operator_ids(user=user))))
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

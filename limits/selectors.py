"""Scoped reads of temporary limits (SPEC §4). Outsiders get 404, never 403.

SO engineers and viewers see their own operator's limits; FSP users the limits on their own
resources: on their SPUs and SPGs, on the connection points of their SPUs, and the area limits
that concerned them when published; NRA analysts and admins see everything.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime

import shapely
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.selectors import user_roles
from common.db import fetch_all, instance, model_columns
from limits.models import LimitConcern, LimitEvent, TemporaryLimit
from limits.periods import limit_status_q
from observability.models import ConnectionPoint, ObservabilityArea, SystemOperator
from prequal.models import Case, Product, Spg, Spu
from prequal.selectors.resources import product_by_code as product_by_code_uncached


def status_q(status: str, *, at: datetime | None = None) -> Q:
    """Limits in a derived status at `at` (now by default); see limits.models.limit_status_q."""
    return limit_status_q(status, at=at or timezone.now())


def limit_list_for_user(
    *,
    user,
    status: str | None = None,
    target_kind: str | None = None,
    system_operator_id: int | None = None,
    spu_id: int | None = None,
    spg_id: int | None = None,
) -> QuerySet[TemporaryLimit]:
    roles = user_roles(user=user)
    qs = TemporaryLimit.objects.select_related(
        "system_operator__organisation",
        "spu__fsp__organisation",
        "spg__fsp__organisation",
        "connection_point",
        "created_by",
        "lifted_by",
    )
    if not roles.sees_everything:
        scope = Q(pk__in=[])
        if roles.is_so:
            scope |= Q(system_operator__organisation_id__in=roles.so_org_ids)
        if roles.is_fsp:
            orgs = roles.fsp_org_ids
            at_own_point = Exists(
                Spu.objects.filter(
                    connection_point_id=OuterRef("connection_point_id"), fsp__organisation_id__in=orgs
                )
            )
            concerned = Exists(
                LimitConcern.objects.filter(limit_id=OuterRef("pk"), fsp__organisation_id__in=orgs)
            )
            scope |= (
                Q(spu__fsp__organisation_id__in=orgs)
                | Q(spg__fsp__organisation_id__in=orgs)
                | (Q(connection_point__isnull=False) & at_own_point)
                | concerned
            )
        qs = qs.filter(scope)
    if status:
        qs = qs.filter(status_q(status))
    if target_kind:
        qs = qs.filter(target_kind=target_kind)
    if system_operator_id:
        qs = qs.filter(system_operator_id=system_operator_id)
    if spu_id:
        qs = qs.filter(spu_id=spu_id)
    if spg_id:
        qs = qs.filter(spg_id=spg_id)
    return qs.order_by("start", "pk")


def limit_get_for_user(*, user, pk: int, write: bool = False) -> TemporaryLimit:
    """The limit, or 404; with write=True only an engineer of its SO passes (else 403)."""
    limit = get_object_or_404(limit_list_for_user(user=user), pk=pk)
    if write and limit.system_operator.organisation_id not in user_roles(user=user).so_engineer_org_ids:
        raise PermissionDenied
    return limit


def limit_get_with_rights_for_user(*, user, pk: int) -> tuple[TemporaryLimit, bool]:
    """The limit (or 404), and whether the user may change or lift it now (may_change)."""
    limit = limit_get_for_user(user=user, pk=pk)
    return limit, limit.may_change(engineer_org_ids=user_roles(user=user).so_engineer_org_ids)


def limit_events(*, limit: TemporaryLimit) -> QuerySet[LimitEvent]:
    return LimitEvent.objects.filter(limit=limit).select_related("actor").order_by("at", "pk")


def limit_issuers_for_user(*, user) -> QuerySet[SystemOperator]:
    """The operators for which the user may set limits (engineer memberships)."""
    roles = user_roles(user=user)
    return SystemOperator.objects.filter(organisation_id__in=roles.so_engineer_org_ids).select_related(
        "organisation"
    )


# --- targets (unscoped lookups: whether the target lies in the SO's grid is the service's rule) ---


def spu_by_id(*, pk) -> Spu | None:
    return Spu.objects.select_related("connection_point", "fsp").filter(pk=pk).first()


def spg_by_id(*, pk) -> Spg | None:
    return Spg.objects.select_related("fsp").filter(pk=pk).first()


def connection_point_by_gsrn(*, gsrn: str) -> ConnectionPoint | None:
    return ConnectionPoint.objects.filter(gsrn=(gsrn or "").strip()).first()


# --- the activation check --------------------------------------------------------------------


def is_market_platform(*, user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_gridprequal_platform", None)
    if cached is None:
        # Raw SQL: read on every activation check (SPEC §7), where ORM query building shows.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM limits_marketplatformclient WHERE user_id = %s AND is_active", [user.pk]
            )
            cached = cursor.fetchone() is not None
        user._gridprequal_platform = cached
    return cached


def activation_caller_kind(*, user) -> str | None:
    """Who asks the activation check: "platform", "so", "nra", "fsp", or None (not allowed).

    Market platforms are asked first: they are the hot path (one query).
    """
    if is_market_platform(user=user):
        return "platform"
    roles = user_roles(user=user)
    if roles.is_so:
        return "so"
    if roles.sees_everything:
        return "nra"
    if roles.is_fsp:
        return "fsp"
    return None


_SPU_FIELDS = ("id", "fsp_id", "connection_point_id", "code", "name", "max_up_kw", "max_down_kw", "is_active")
_SPG_FIELDS = ("id", "fsp_id", "code", "name", "is_active")
_CASE_FIELDS = ("id", "status", "round", "valid_until", "previous_outcome")


def activation_resource_get(
    *, user, caller: str, spu_id=None, spg_id=None, product_id: int | None = None
) -> Spu | Spg | None:
    """The SPU (with its point's id and location) or SPG to check, or None when unknown or not
    the FSP's own.

    With `product_id`, the resource's cases for that product come in the same query (newest
    first) and are kept on the resource as `prefetched_cases` (read by limits.activation).
    One prepared statement (common.db.fetch_all): this runs on every activation check (SPEC §7).
    """
    fsp_orgs = sorted(user_roles(user=user).fsp_org_ids) if caller == "fsp" else None
    scope, params = "", []
    if fsp_orgs is not None:
        scope = (
            f" AND f.organisation_id IN ({', '.join(['%s'] * len(fsp_orgs))})" if fsp_orgs else " AND 1 = 0"
        )
        params = fsp_orgs
    model, fields = (Spu, _SPU_FIELDS) if spu_id is not None else (Spg, _SPG_FIELDS)
    columns = [*model_columns(model, fields)]
    select = ", ".join(f"s.{name}" for name in fields)
    point_join = ""
    if model is Spu:
        columns += model_columns(ConnectionPoint, ("longitude", "latitude"))
        select += ", cp.longitude, cp.latitude"
        point_join = " JOIN observability_connectionpoint cp ON cp.id = s.connection_point_id"
    case_join, case_params, order = "", [], ""
    if product_id is not None:
        columns += model_columns(Case, _CASE_FIELDS)
        select += ", " + ", ".join(f"c.{name}" for name in _CASE_FIELDS)
        column = "spu_id" if model is Spu else "spg_id"
        case_join = f" LEFT JOIN prequal_case c ON c.{column} = s.id AND c.product_id = %s"
        case_params = [product_id]
        order = " ORDER BY c.id DESC LIMIT 20"
    rows = fetch_all(
        f"SELECT {select} FROM {model._meta.db_table} s{point_join} JOIN prequal_fsp f ON f.id = s.fsp_id"
        f"{case_join} WHERE s.id = %s{scope}{order}",
        [*case_params, spu_id if model is Spu else spg_id, *params],
        columns=columns,
    )
    if not rows:
        return None
    width = len(fields)
    resource = instance(model, fields, rows[0][:width])
    if model is Spu:
        resource.cp_lon, resource.cp_lat = rows[0][width : width + 2]
        width += 2
    if product_id is not None:
        resource.prefetched_cases = (
            product_id,
            [
                (case_id, status, round_, previous or "", valid_until)
                for case_id, status, round_, valid_until, previous in (row[width:] for row in rows)
                if case_id is not None
            ],
        )
    return resource


def activation_system_operators_for_user(*, user, caller: str) -> QuerySet[SystemOperator]:
    """The operators the caller may ask as: SO users their own, everyone else any."""
    qs = SystemOperator.objects.select_related("organisation")
    if caller == "so":
        qs = qs.filter(organisation_id__in=user_roles(user=user).so_org_ids)
    return qs


# Operators and products change rarely and are read on every check: a short per-process cache.
LOOKUP_CACHE_SECONDS = 30
_lookups: dict[tuple, tuple[float, object]] = {}


def _cached(key: tuple, load):
    now = time.monotonic()
    hit = _lookups.get(key)
    if hit is not None and now - hit[0] < LOOKUP_CACHE_SECONDS:
        return hit[1]
    value = load()
    if len(_lookups) > 10_000:
        _lookups.clear()
    _lookups[key] = (now, value)
    return value


def lookup_cache_clear() -> None:
    _lookups.clear()


def activation_system_operator_by_eic(*, user, caller: str, eic: str) -> SystemOperator | None:
    """The operator with this EIC code that the caller may ask as (cached for a few seconds)."""
    so = _cached(
        ("so", eic),
        lambda: (
            SystemOperator.objects.select_related("organisation").filter(organisation__eic_code=eic).first()
        ),
    )
    if so is not None and caller == "so" and so.organisation_id not in user_roles(user=user).so_org_ids:
        return None
    return so


def product_by_code(*, code: str) -> Product | None:
    """The active product with this code or id, cached for a few seconds (the activation check)."""
    if code is None:
        return None
    code = str(code).strip()
    return _cached(
        ("product", code), lambda: product_by_code_uncached(code=code, active_only=True, or_id=True)
    )


def current_area_geojson_for(*, system_operator: SystemOperator) -> str | None:
    """The operator's current observability area as GeoJSON (drawn under the limit map)."""
    area = ObservabilityArea.objects.current().filter(system_operator=system_operator).first()
    return shapely.to_geojson(area.geometry) if area is not None else None


# --- the annual report (R9) ----------------------------------------------------------------------


def limit_statistics(*, year: int, system_operator_ids=None, time_zone: str = "UTC") -> dict[int, dict]:
    """Per issuing SO, the temporary limits of `year` (by publication time, in `time_zone`):
    `count` published, `hours` in force (until lifted, if lifted earlier), `refused_late`
    attempts, and `late_share` = refused / (published + refused). Read by the annual report.
    """
    import zoneinfo

    from limits.models import LimitRefusal

    zone = zoneinfo.ZoneInfo(time_zone)
    start = datetime(year, 1, 1, tzinfo=zone)
    end = datetime(year + 1, 1, 1, tzinfo=zone)
    limits = TemporaryLimit.objects.filter(created_at__gte=start, created_at__lt=end)
    refusals = LimitRefusal.objects.filter(at__gte=start, at__lt=end, limit__isnull=True)
    if system_operator_ids is not None:
        limits = limits.filter(system_operator_id__in=list(system_operator_ids))
        refusals = refusals.filter(system_operator_id__in=list(system_operator_ids))
    return limit_figures_per_so(limits=limits.with_effective_period(), refusals=refusals)


def limit_figures_per_so(*, limits: QuerySet[TemporaryLimit], refusals: QuerySet) -> dict[int, dict]:
    """Per issuing SO: `count` of `limits`, their `hours` in force (read with_effective_period),
    `refused_late` new limits among `refusals`, and `late_share` = refused / (published + refused).

    The one count of the annual report's limit figures (limit_statistics, reports.builder).
    """
    figures: dict[int, dict] = defaultdict(lambda: {"count": 0, "hours": 0.0, "refused_late": 0})
    rows = (
        limits.order_by()
        .values("system_operator_id")
        .annotate(n=Count("pk"), total=Sum("effective_duration"))
        .values_list("system_operator_id", "n", "total")
    )
    for so_id, n, total in rows:
        figures[so_id]["count"] = n
        figures[so_id]["hours"] = total.total_seconds() / 3600 if total else 0.0
    per_so = refusals.order_by().values("system_operator_id").annotate(n=Count("pk"))
    for so_id, n in per_so.values_list("system_operator_id", "n"):
        figures[so_id]["refused_late"] = n
    for row in figures.values():
        attempts = row["count"] + row["refused_late"]
        row["late_share"] = row["refused_late"] / attempts if attempts else 0.0
    return dict(figures)

"""Scoped reads of temporary limits (SPEC §4). Outsiders get 404, never 403.

SO engineers and viewers see their own operator's limits; FSP users the limits on their own
resources: on their SPUs and SPGs, on the connection points of their SPUs, and the area limits
that concerned them when published; NRA analysts and admins see everything.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import shapely
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.selectors import user_roles
from forecasts.models import GridZone, GridZoneVersion, Publication
from limits.models import LimitConcern, LimitEvent, TemporaryLimit
from limits.periods import limit_status_q
from observability.models import ConnectionPoint, ObservabilityArea, SystemOperator
from prequal.models import Product, Spg, SpgMembership, Spu
from prequal.selectors.resources import product_by_code as product_by_code_uncached


def status_q(status: str, *, at: datetime | None = None) -> Q:
    """Limits in a derived status at `at` (now by default); see limits.models.limit_status_q."""
    return limit_status_q(status, at=at or timezone.now())


def changed_q(since: datetime) -> Q:
    """Limits published, changed or lifted since `since` (the list's ?changed= and the dashboards)."""
    return Q(updated_at__gte=since)


def limit_list_for_user(
    *,
    user,
    status: str | None = None,
    target_kind: str | None = None,
    system_operator_id: int | None = None,
    spu_id: int | None = None,
    spg_id: int | None = None,
    changed_since: datetime | None = None,
) -> QuerySet[TemporaryLimit]:
    """The limits the user may read, by start; `changed_since`: published, changed or lifted since."""
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
    if changed_since:
        qs = qs.filter(changed_q(changed_since))
    return qs.order_by("start", "pk")


def limit_list_on_resource_for_user(
    *, user, spu: Spu | None = None, spg: Spg | None = None, at: datetime | None = None
) -> QuerySet[TemporaryLimit]:
    """The active and upcoming limits that bind an SPU or SPG, as the user may read them (its
    page): on the unit, on its connection point and on the groups it is in now; for a group, on
    it, on its current members and on their points. Area limits are on the limit list."""
    at = at or timezone.now()
    if spu is not None:
        groups = SpgMembership.objects.filter(spu=spu).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=at)).values("spg_id")
        binding = Q(spu=spu) | Q(connection_point_id=spu.connection_point_id) | Q(spg_id__in=groups)
    else:
        members = SpgMembership.objects.filter(spg=spg).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=at)).values("spu_id")
        points = Spu.objects.filter(pk__in=members).values("connection_point_id")
        binding = Q(spg=spg) | Q(spu_id__in=members) | Q(connection_point_id__in=points)
    return limit_list_for_user(user=user).filter(binding).filter(status_q("current", at=at))


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


@dataclass(frozen=True)
class ForecastCited:
    """The congestion forecast a limit cites (R12): its publication, zone and the zone's name then."""

    publication: Publication
    zone: GridZone | None
    zone_name: str


def limit_forecast_cited(*, limit: TemporaryLimit) -> ForecastCited | None:
    """What the limit cites (shown on its page and in the API), or None; read with the limit's rights."""
    if not limit.forecast_publication_id:
        return None
    publication = Publication.objects.get(pk=limit.forecast_publication_id)
    zone = GridZone.objects.filter(pk=limit.forecast_zone_id).first() if limit.forecast_zone_id else None
    versions = GridZoneVersion.objects.current(at=publication.published_at)
    version = versions.filter(zone=zone).first() if zone else None
    return ForecastCited(publication=publication, zone=zone, zone_name=version.name if version else "")


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


def system_operator_by_eic(*, eic: str) -> SystemOperator | None:
    """The operator with this EIC code (cached for a few seconds: read on every activation check)."""
    return _cached(
        ("so", eic),
        lambda: (
            SystemOperator.objects.select_related("organisation").filter(organisation__eic_code=eic).first()
        ),
    )


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

"""An FSP's resources and their forecasts for the next 48 hours, in one set of queries (SPEC R12).

Read by the FSP's forecast overview: its active SPGs (members at the moment) and a page of its
active SPUs, each with the zones containing its points and the worst level per direction. The
number of queries does not grow with the resources or the zones: every point is looked up in one
pass, every zone's rows come in one read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import shapely
from django.core.exceptions import PermissionDenied

from accounts.selectors import user_roles
from forecasts.models import CongestionLevel
from forecasts.selectors import forecast_values_as_of, grid_zones_containing, resource_period
from forecasts.timeline import DIRECTIONS, Timeline, timeline_of_rows
from prequal.models import Spg, SpgMembership, Spu


@dataclass
class ResourceSummary:
    """One resource's line: its zones (versions) and its binding timeline."""

    kind: str  # "spu" or "spg"
    resource: object
    zones: list
    timeline: Timeline

    @property
    def worst(self) -> dict[str, int | None]:
        return {direction: self.timeline.worst(direction) for direction in DIRECTIONS}

    @property
    def first_congested(self) -> datetime | None:
        return self.timeline.first_at_least(CongestionLevel.LIKELY)


@dataclass
class ForecastOverview:
    as_of: datetime
    start: datetime
    end: datetime
    spgs: list[ResourceSummary]
    spus: list[ResourceSummary]


def fsp_resources_for_user(*, user):
    """The user's FSPs' active SPUs (with their points, in code order) and SPGs; 403 for a user
    who acts for no FSP (the page is the FSP's; SOs read a resource's page)."""
    roles = user_roles(user=user)
    if not roles.is_fsp:
        raise PermissionDenied
    spus = (
        Spu.objects.filter(fsp__organisation_id__in=roles.fsp_org_ids, is_active=True)
        .select_related("connection_point")
        .order_by("code", "pk")
    )
    spgs = Spg.objects.filter(fsp__organisation_id__in=roles.fsp_org_ids, is_active=True).order_by(
        "code", "pk"
    )
    return spus, spgs


def _spg_points(spgs: list, as_of: datetime) -> dict[int, np.ndarray]:
    rows = (
        SpgMembership.objects.filter(spg__in=spgs, valid_from__lte=as_of)
        .exclude(valid_to__lte=as_of)
        .values_list("spg_id", "spu__connection_point__longitude", "spu__connection_point__latitude")
    )
    by_spg: dict[int, list] = {spg.pk: [] for spg in spgs}
    for spg_id, lon, lat in rows:
        by_spg[spg_id].append((lon, lat))
    return {pk: np.array(points, dtype=float).reshape(-1, 2) for pk, points in by_spg.items()}


def forecast_overview(*, spus, spgs, as_of: datetime) -> ForecastOverview:
    """The summaries of these SPUs and SPGs (lists, already scoped to the FSP) as seen at `as_of`.

    The FSP reads every zone around its own points (SPEC §4), so no reader filter applies."""
    start, end = resource_period(as_of=as_of)
    spg_points = _spg_points(spgs, as_of)
    resources = [("spu", spu, np.array([[spu.connection_point.longitude, spu.connection_point.latitude]]))
                 for spu in spus]
    resources += [("spg", spg, spg_points[spg.pk]) for spg in spgs]
    every = np.concatenate([points for _kind, _r, points in resources] or [np.empty((0, 2))])
    versions = grid_zones_containing(points=every, at=as_of)
    geometries = [(version, version.geometry) for version in versions]
    rows_by_zone: dict[int, list[dict]] = {version.zone_id: [] for version in versions}
    for row in forecast_values_as_of(zone_ids=rows_by_zone, start=start, end=end, as_of=as_of):
        rows_by_zone[row["zone_id"]].append(row)
    summaries = {"spu": [], "spg": []}
    for kind, resource, points in resources:
        zones = [
            version
            for version, geometry in geometries
            if len(points) and shapely.intersects_xy(geometry, points[:, 0], points[:, 1]).any()
        ]
        rows = [row for version in zones for row in rows_by_zone[version.zone_id]]
        timeline = timeline_of_rows(rows, start=start, end=end)
        summaries[kind].append(ResourceSummary(kind=kind, resource=resource, zones=zones, timeline=timeline))
    return ForecastOverview(
        as_of=as_of, start=start, end=end, spgs=summaries["spg"], spus=summaries["spu"]
    )

"""Who reads which congestion forecasts (SPEC §4, last paragraph; R12).

- an NRA analyst (and a platform admin) reads every zone's forecasts;
- an SO engineer or viewer reads its own operator's zones and every zone that lies in (overlaps)
  its operator's observability area;
- an FSP user reads the zones that contain the connection points of its own active SPUs;
- a market platform client reads the zones of the operators it is registered for.

Market platform clients are limits' (layer 5, above this app): limits hands its reader of their
registrations to platform_registrations_reader_set() from its AppConfig.ready(), the way
prequal widens observability's point readers. Without it, nobody reads as a platform.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely

from accounts.selectors import user_roles
from observability.models import ObservabilityArea
from observability.selectors import user_operator_ids
from prequal.models import Spu

# user → the operator ids a market platform client is registered for, or None (not a client).
_platform_registrations: list[Callable[[object], frozenset[int] | None]] = []


def platform_registrations_reader_set(reader: Callable[[object], frozenset[int] | None]) -> None:
    """Read by forecast_reader(): called once from limits' AppConfig.ready()."""
    _platform_registrations[:] = [reader]


@dataclass(frozen=True)
class ForecastReader:
    """What a user reads: everything; or the zones of `publisher_so_ids` (a platform); or the
    zones of / in the areas of `area_so_ids` (an SO); or the zones around `fsp_org_ids`' units."""

    everything: bool = False
    publisher_so_ids: frozenset[int] = frozenset()
    area_so_ids: frozenset[int] = frozenset()
    fsp_org_ids: frozenset[int] = frozenset()
    is_platform: bool = False


EVERY_ZONE = ForecastReader(everything=True)


def forecast_reader(*, user) -> ForecastReader | None:
    """The user's reading rights, or None (anonymous, or no role that reads forecasts)."""
    if not getattr(user, "is_authenticated", False):
        return None
    for reader in _platform_registrations:
        registered = reader(user)
        if registered is not None:
            return ForecastReader(publisher_so_ids=registered, is_platform=True)
    roles = user_roles(user=user)
    if roles.sees_everything:
        return EVERY_ZONE
    so_ids = user_operator_ids(user=user)
    if not so_ids and not roles.is_fsp:
        return None
    return ForecastReader(area_so_ids=so_ids, fsp_org_ids=frozenset(roles.fsp_org_ids))


def zones_readable(*, reader: ForecastReader, versions: list, at, geometries: list | None = None) -> list:
    """The zone versions (current ones, with `zone` loaded) of `versions` that `reader` reads;
    `geometries`: theirs, already parsed (default: each version's)."""
    if reader.everything:
        return list(versions)
    if not versions:
        return []
    if geometries is None:
        geometries = [version.geometry for version in versions]
    readable = np.array(
        [
            version.zone.system_operator_id in reader.publisher_so_ids
            or version.zone.system_operator_id in reader.area_so_ids
            for version in versions
        ]
    )
    if reader.area_so_ids:
        areas = ObservabilityArea.objects.filter(system_operator_id__in=reader.area_so_ids).current(
            at=at
        )
        for area in areas:
            readable |= shapely.intersects(geometries, area.geometry)
    if reader.fsp_org_ids:
        points = np.array(
            list(
                Spu.objects.filter(fsp__organisation_id__in=reader.fsp_org_ids, is_active=True)
                .values_list("connection_point__longitude", "connection_point__latitude")
                .distinct()
            ),
            dtype=float,
        ).reshape(-1, 2)
        if len(points):
            for index, geometry in enumerate(geometries):
                if not readable[index]:
                    readable[index] = bool(
                        shapely.intersects_xy(geometry, points[:, 0], points[:, 1]).any()
                    )
    return [version for version, ok in zip(versions, readable, strict=True) if ok]

"""A resource's forecast map: its zones as GeoJSON with a congestion level per quarter-hour, its
connection points, and the quarter-hours' local labels (read by static/js/forecast_map.js)."""

from __future__ import annotations

import shapely
from django.utils import timezone

from forecasts.models import LEVEL_CODES
from forecasts.selectors import grid_zone_geometries
from forecasts.timeline import SLOT, timeline_of_rows, worst_levels
from observability.maps import MAP_SIMPLIFY_DEG, map_feature


def forecast_map_data(found) -> dict:
    """The map of a selectors.ResourceForecast: one feature per zone with `levels` (the worse of
    the two directions per quarter-hour: none, possible, likely, certain or null where nothing is
    published), the points as features, and `slots` (start in UTC and local label)."""
    start, end = found.start, found.end
    zones = []
    wkb = grid_zone_geometries([zone.version for zone in found.zones])  # one query at most
    for zone in found.zones:
        version = zone.version
        levels = worst_levels(timeline_of_rows(zone.values, start=start, end=end))
        geometry = shapely.simplify(
            shapely.from_wkb(wkb[version.pk]), MAP_SIMPLIFY_DEG, preserve_topology=True
        )
        zones.append(
            map_feature(
                geometry,
                kind="zone",
                id=version.zone_id,
                code=version.zone.code,
                name=version.name,
                system_operator=str(version.zone.system_operator),
                levels=[None if level is None else LEVEL_CODES[level] for level in levels],
            )
        )
    points = [
        {
            "type": "Feature",
            "properties": {"kind": "point"},
            "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
        }
        for lon, lat in found.points
    ]
    slots = []
    moment = start
    while moment < end:
        local = timezone.localtime(moment)
        slots.append({"start": moment.isoformat(), "label": f"{local:%Y-%m-%d %H:%M}"})
        moment += SLOT
    return {
        "as_of": found.as_of.isoformat(),
        "slots": slots,
        "zones": {"type": "FeatureCollection", "features": zones},
        "points": {"type": "FeatureCollection", "features": points},
    }

"""Map features and settings shared by the map pages (static/js/area_map.js reads them).

Read by observability's area pages and by prequal's pages that draw points and areas (a case,
who assesses a point).
"""

from __future__ import annotations

import json

import shapely
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.maps import base_map_settings
from observability.models import ObservabilityArea

# Points drawn on a map page at most; the API serves the rest.
MAP_POINT_LIMIT = 5000
# Simplification of areas drawn on the overview map, in degrees (~50 m); downloads are exact.
MAP_SIMPLIFY_DEG = 0.0005


def map_feature(geometry, **properties) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": json.loads(shapely.to_geojson(geometry))}


def area_feature(area: ObservabilityArea, *, simplify: float = 0.0, role: str = "") -> dict:
    geometry = area.geometry
    if simplify:
        geometry = shapely.simplify(geometry, simplify, preserve_topology=True)
    so = area.system_operator
    return map_feature(
        geometry,
        kind="area",
        role=role,
        id=area.pk,
        system_operator=so.name,
        system_operator_id=so.pk,
        tier=so.tier,
        valid_from=timezone.localtime(area.valid_from).strftime("%Y-%m-%d %H:%M"),
        area_km2=round(area.area_km2, 1),
        url=reverse("observability:area-detail", args=[area.pk]),
    )


def point_features(points) -> list[dict]:
    # One reverse() for all the points, not one each (500 points: about 15 ms of a page).
    head, tail = reverse("prequal:assessing-sos", args=[0]).rsplit("/0/", 1)
    return [
        {
            "type": "Feature",
            "properties": {
                "kind": "point",
                "gsrn": p.gsrn,
                "system_operator": str(p.connecting_so),
                "url": f"{head}/{p.pk}/{tail}",
            },
            "geometry": {"type": "Point", "coordinates": [p.longitude, p.latitude]},
        }
        for p in points
    ]


def map_settings() -> dict:
    """Shared map config: the optional tile server (off by default: no internet) and labels."""
    return {
        **base_map_settings(),
        "labels": {
            "gsrn": _("GSRN"),
            "connecting": _("Connecting SO"),
            "operator": _("Operator"),
            "validFrom": _("Valid from"),
            "area": _("Area (km²)"),
            "pointsShown": _("Connection points shown: %s of %s"),
            "loadError": _("Could not load the map data"),
        },
    }

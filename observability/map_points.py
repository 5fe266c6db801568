"""The connection points of a map's visible box: single points when few, clusters when many.

Read by the map's JavaScript (static/js/area_map.js) through ConnectionPointMapApi each time
the map moves, so a page never loads more than one screen's worth of markers whatever the
number of points a user may see (an aggregator's 200,000). Clustering is done in SQL: the
points of the box are grouped by a grid of cells of the zoom's size (their coordinates divided
by the cell size and rounded down), each cell answered with its count and mean position.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Avg, Count, F, QuerySet
from django.db.models.functions import Floor

from observability.maps import point_features
from observability.models import ConnectionPoint
from observability.selectors import connection_point_list_for_user

# Up to this many points in the box are drawn one by one; more are clustered.
MAP_SINGLE_POINTS_MAX = 500
# Cells across one 256-pixel map tile: a cluster per ~64 pixels.
CELLS_PER_TILE = 4
MAX_ZOOM = 22


@dataclass(frozen=True)
class BoundingBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


def cell_size_deg(zoom: int) -> float:
    """The clustering cell's side in degrees at this zoom (a tile spans 360 / 2**zoom degrees)."""
    return 360.0 / (2**zoom * CELLS_PER_TILE)


def connection_points_in_box(
    *, user, bbox: BoundingBox, zoom: int, operator_id: int | None = None, tier: str | None = None,
) -> dict:
    """GeoJSON of the user's visible points in `bbox`: points, or clusters when there are many."""
    points = _in_box(connection_point_list_for_user(user=user), bbox)
    if operator_id:
        points = points.filter(connecting_so_id=operator_id)
    if tier:
        points = points.filter(connecting_so__tier=tier)
    first = list(points.order_by("gsrn")[: MAP_SINGLE_POINTS_MAX + 1])
    if len(first) <= MAP_SINGLE_POINTS_MAX:
        return _collection(point_features(first), total=len(first), clustered=False)
    cell = cell_size_deg(zoom)
    cells = (
        points.order_by()
        .annotate(cell_x=Floor(F("longitude") / cell), cell_y=Floor(F("latitude") / cell))
        .values("cell_x", "cell_y")
        .annotate(count=Count("pk"), lon=Avg("longitude"), lat=Avg("latitude"))
        .order_by("cell_x", "cell_y")
    )
    features = [
        {
            "type": "Feature",
            "properties": {"kind": "cluster", "count": c["count"]},
            "geometry": {"type": "Point", "coordinates": [round(c["lon"], 6), round(c["lat"], 6)]},
        }
        for c in cells
    ]
    return _collection(features, total=sum(f["properties"]["count"] for f in features), clustered=True)


def _in_box(points: QuerySet[ConnectionPoint], bbox: BoundingBox) -> QuerySet[ConnectionPoint]:
    return points.filter(
        longitude__gte=bbox.min_lon, longitude__lte=bbox.max_lon,
        latitude__gte=bbox.min_lat, latitude__lte=bbox.max_lat,
    )


def _collection(features: list[dict], *, total: int, clustered: bool) -> dict:
    return {"type": "FeatureCollection", "features": features, "points_total": total, "clustered": clustered}

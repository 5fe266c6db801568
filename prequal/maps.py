"""The maps of an SPU, an SPG and a connection point (issue 15): the unit's point, the group's
points, and a point with the observability areas around it. Drawn by static/js/area_map.js on
the shared base layer (common/maps.py); put on a page by {% resource_map obj %}
(prequal/templatetags/prequal_maps.py), so the pages' bodies change by one line.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from observability.maps import MAP_SIMPLIFY_DEG, area_feature, map_settings, point_features
from observability.models import ConnectionPoint
from prequal.models import Spg, Spu
from prequal.selectors.points import assessing_so_rows


def _config(features: list[dict], *, focus: str) -> dict:
    return {**map_settings(), "data": {"type": "FeatureCollection", "features": features}, "focus": focus}


def spu_map_config(*, spu: Spu) -> dict:
    """The SPU's connection point (the page already checked that the user may read the SPU)."""
    return _config(point_features([spu.connection_point]), focus="point")


def spg_map_config(*, spg: Spg) -> dict:
    """The connection points of the group's current members, each once."""
    now = timezone.now()
    points = (
        ConnectionPoint.objects.filter(
            spus__spg_memberships__spg=spg, spus__spg_memberships__valid_from__lte=now,
        )
        .filter(Q(spus__spg_memberships__valid_to__isnull=True) | Q(spus__spg_memberships__valid_to__gt=now))
        .select_related("connecting_so__organisation")
        .distinct()
        .order_by("gsrn")
    )
    return _config(point_features(points), focus="point")


def connection_point_map_config(*, user, point: ConnectionPoint) -> dict:
    """The point and the current observability areas that contain it, those the user may read."""
    rows = assessing_so_rows(points=[point], user=user)[point.pk]
    areas = {area.pk: area for row in rows for area in row["areas"]}
    features = [area_feature(a, simplify=MAP_SIMPLIFY_DEG) for a in areas.values()]
    return _config(features + point_features([point]), focus="point")

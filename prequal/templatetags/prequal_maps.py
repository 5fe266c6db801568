"""{% resource_map obj %}: the map of an SPU, an SPG or a connection point (prequal/maps.py),
with its own assets, so a page adds it with one line."""

from __future__ import annotations

from django import template

from observability.models import ConnectionPoint
from prequal.maps import connection_point_map_config, spg_map_config, spu_map_config
from prequal.models import Spg, Spu

register = template.Library()


@register.inclusion_tag("prequal/_resource_map.html", takes_context=True)
def resource_map(context, obj) -> dict:
    if isinstance(obj, Spu):
        config, kind = spu_map_config(spu=obj), "spu"
    elif isinstance(obj, Spg):
        config, kind = spg_map_config(spg=obj), "spg"
    elif isinstance(obj, ConnectionPoint):
        config, kind = connection_point_map_config(user=context["request"].user, point=obj), "point"
    else:
        raise template.TemplateSyntaxError(f"resource_map: no map for {type(obj).__name__}")
    return {"map_config": config, "kind": kind, "empty": not config["data"]["features"]}

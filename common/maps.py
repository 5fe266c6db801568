"""The base layer under every map (issue 15), from settings: one home for the page include
(templates/partials/base_map.html), the map configs and the Content-Security-Policy.

With GRIDPREQUAL_MAP_TILE_URL set (an {z}/{x}/{y} template: OpenStreetMap or the installation's
own GIS tile server), its tiles, credited with GRIDPREQUAL_MAP_TILE_ATTRIBUTION. Without (the
default, offline: `make run`, tests), a light outline of countries and coasts shipped with the
app (static/geo/base_outline.geojson, Natural Earth 1:110m, public domain; scripts/make-base-outline).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.templatetags.static import static

OUTLINE_FILE = "geo/base_outline.geojson"
OUTLINE_ATTRIBUTION = "Natural Earth"


def map_tile_url() -> str:
    return getattr(settings, "GRIDPREQUAL_MAP_TILE_URL", "") or ""


def map_tile_origin() -> str:
    """The scheme and host of the configured tiles (the only image host the CSP allows), or ""."""
    parts = urlsplit(map_tile_url())
    if parts.scheme in {"http", "https"} and parts.hostname:
        # The host may contain a {s} subdomain placeholder: allow any subdomain then.
        return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"
    return ""


def base_map_settings() -> dict:
    """What static/js/base_map.js reads: tiles when configured, else the built-in outline."""
    tiles = map_tile_url()
    return {
        "tileUrl": tiles,
        "tileAttribution": (getattr(settings, "GRIDPREQUAL_MAP_TILE_ATTRIBUTION", "") or "") if tiles else "",
        "outlineUrl": "" if tiles else static(OUTLINE_FILE),
        "outlineAttribution": "" if tiles else OUTLINE_ATTRIBUTION,
    }

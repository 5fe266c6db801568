"""Coordinate systems. Locations are stored in WGS84 (EPSG:4326), accepted in any EPSG CRS."""

from __future__ import annotations

from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

WGS84 = 4326
SWEREF99_TM = 3006
# The CRSs offered in forms; the API and imports accept any EPSG code pyproj knows.
COMMON_CRS = [(WGS84, "WGS84 (EPSG:4326)"), (SWEREF99_TM, "SWEREF99 TM (EPSG:3006)")]


def parse_epsg(value: str | int) -> int:
    """`"EPSG:3006"`, `"3006"` or `3006` → 3006; anything else is a ValidationError."""
    raw = str(value).strip().upper()
    if raw.startswith("EPSG:"):
        raw = raw[5:]
    try:
        code = int(raw)
        CRS.from_epsg(code)
    except (ValueError, CRSError) as exc:
        raise ValidationError(
            _("%(value)s is not a known coordinate system: expected an EPSG code such as 3006.")
            % {"value": value}
        ) from exc
    return code


@lru_cache(maxsize=32)
def _to_wgs84(epsg: int) -> Transformer:
    return Transformer.from_crs(CRS.from_epsg(epsg), CRS.from_epsg(WGS84), always_xy=True)


def to_wgs84(*, x: float, y: float, epsg: int) -> tuple[float, float]:
    """Return (longitude, latitude). For EPSG:4326 x is longitude and y latitude."""
    if epsg == WGS84:
        lon, lat = float(x), float(y)
    else:
        lon, lat = _to_wgs84(epsg).transform(float(x), float(y))
    if not (-180 <= lon <= 180 and -90 <= lat <= 90) or lon != lon or lat != lat:
        raise ValidationError(
            _("The coordinates (%(x)s, %(y)s) are outside EPSG:%(epsg)s's range.")
            % {"x": x, "y": y, "epsg": epsg}
        )
    return lon, lat

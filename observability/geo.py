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


# Degrees a point may lie beyond a CRS's area of use (its published bounds are rounded).
_AREA_OF_USE_MARGIN = 0.1


@lru_cache(maxsize=32)
def _area_of_use(epsg: int) -> tuple[float, float, float, float, str] | None:
    """(west, south, east, north, name) in degrees, as the EPSG registry gives it (pyproj)."""
    area = CRS.from_epsg(epsg).area_of_use
    return None if area is None else (area.west, area.south, area.east, area.north, area.name.rstrip("."))


def _within_area_of_use(epsg: int, lon: float, lat: float) -> bool:
    area = _area_of_use(epsg)
    if area is None:
        return True
    west, south, east, north, _name = area
    m = _AREA_OF_USE_MARGIN
    in_lon = west - m <= lon <= east + m if west <= east else (lon >= west - m or lon <= east + m)
    return in_lon and south - m <= lat <= north + m


def to_wgs84(*, x: float, y: float, epsg: int) -> tuple[float, float]:
    """Return (longitude, latitude). For EPSG:4326 x is longitude and y latitude.

    The place must lie where the CRS is used (its EPSG area of use): a SWEREF99 TM easting and
    northing far outside Sweden, or swapped, is refused rather than stored somewhere else.
    """
    if epsg == WGS84:
        lon, lat = float(x), float(y)
    else:
        lon, lat = _to_wgs84(epsg).transform(float(x), float(y))
    if not (-180 <= lon <= 180 and -90 <= lat <= 90) or lon != lon or lat != lat:
        raise ValidationError(
            _("The coordinates (%(x)s, %(y)s) are outside EPSG:%(epsg)s's range.")
            % {"x": x, "y": y, "epsg": epsg}
        )
    if not _within_area_of_use(epsg, lon, lat):
        raise ValidationError(
            _("The coordinates (%(x)s, %(y)s) lie outside the area where EPSG:%(epsg)s is used "
              "(%(area)s): check the coordinate system, and that x and y are not swapped.")
            % {"x": x, "y": y, "epsg": epsg, "area": _area_of_use(epsg)[4]}
        )
    return lon, lat

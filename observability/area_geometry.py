"""Checking an observability area's geometry: polygons only, a known CRS, valid (or repaired on
request), plausible where the CRS is meant for, one area in WGS84.

Every problem becomes a ValidationError on the field "file" with a message a person can act on,
and nothing is repaired silently. All geometry work is shapely 2 and pyproj (SPEC §9).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from observability.geo import WGS84

# How far (degrees) outside the source CRS's area of use a coordinate may still be plausible.
AREA_OF_USE_MARGIN_DEG = 5.0
POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass
class AreaGeometry:
    """A checked area: one valid (Multi)Polygon in WGS84 (lon, lat)."""

    geometry: BaseGeometry
    source_epsg: int
    source_filename: str
    feature_count: int
    area_km2: float
    messages: list[str] = field(default_factory=list)
    # True when invalid input polygons were repaired on request (make_valid).
    repaired: bool = False

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return tuple(float(v) for v in self.geometry.bounds)

    @property
    def vertex_count(self) -> int:
        return int(shapely.get_num_coordinates(self.geometry))

    @property
    def polygon_count(self) -> int:
        return len(getattr(self.geometry, "geoms", [self.geometry]))

    def geojson(self) -> str:
        return shapely.to_geojson(self.geometry)


def area_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def area_km2(geometry: BaseGeometry) -> float:
    """The area in km², in a Lambert azimuthal equal-area projection centred on the geometry."""
    if geometry.is_empty:
        return 0.0
    centre = geometry.centroid
    laea = CRS.from_proj4(
        f"+proj=laea +lat_0={centre.y:.6f} +lon_0={centre.x:.6f} +datum=WGS84 +units=m +no_defs"
    )
    to_laea = Transformer.from_crs(CRS.from_epsg(WGS84), laea, always_xy=True)
    projected = shapely.transform(geometry, lambda xy: _transform_xy(to_laea, xy))
    return float(projected.area) / 1e6


def _transform_xy(transformer: Transformer, xy):
    import numpy as np

    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def _source_epsg(crs, *, filename: str, is_geojson: bool) -> int:
    if crs is None:
        if is_geojson:
            return WGS84  # RFC 7946: GeoJSON without "crs" is WGS84 longitude/latitude.
        raise area_error(
            _("%(file)s does not say which coordinate system it uses. "
              "Expected a file with a known EPSG code, such as 3006 (SWEREF99 TM) or 4326 (WGS84).")
            % {"file": filename}
        )
    try:
        crs = CRS.from_user_input(crs)
        epsg = crs.to_epsg() or crs.to_epsg(min_confidence=70)
    except CRSError:
        epsg = None
    if not epsg:
        raise area_error(
            _("The coordinate system of %(file)s (%(name)s) has no EPSG code. "
              "Expected a known EPSG code, such as 3006 (SWEREF99 TM) or 4326 (WGS84).")
            % {"file": filename, "name": getattr(crs, "name", str(crs))}
        )
    return int(epsg)


def _repaired(geometry: BaseGeometry) -> BaseGeometry:
    """make_valid, keeping only the polygonal parts (collapsed slivers become lines: dropped)."""
    fixed = shapely.make_valid(geometry)
    parts = [p for p in shapely.get_parts(fixed) if p.geom_type in POLYGONAL]
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts)


def _where(point_text: str, transformer: Transformer | None) -> str:
    """'Self-intersection[x y]' → ' at x y (lon, lat WGS84)' when we can say so."""
    if "[" not in point_text:
        return ""
    try:
        x, y = (float(v) for v in point_text.split("[", 1)[1].rstrip("]").split()[:2])
    except ValueError:
        return ""
    if transformer is None:
        return _(" at longitude %(lon).6f, latitude %(lat).6f") % {"lon": x, "lat": y}
    lon, lat = transformer.transform(x, y)
    return _(" at %(x).3f %(y).3f in the file's coordinates (longitude %(lon).6f, latitude %(lat).6f)") % {
        "x": x, "y": y, "lon": lon, "lat": lat}


def frame_check(frame, *, filename: str, is_geojson: bool, repair: bool = False) -> AreaGeometry:
    """One valid WGS84 area from the features of `frame`, or a ValidationError saying what is wrong."""
    geoms, messages = _polygons(frame, filename=filename)
    epsg = _source_epsg(frame.crs, filename=filename, is_geojson=is_geojson)
    if frame.crs is None and is_geojson:
        messages.append(_("The GeoJSON file names no coordinate system: read as WGS84 (RFC 7946)."))
    source_crs = CRS.from_epsg(epsg)
    transformer = None if epsg == WGS84 else Transformer.from_crs(source_crs, CRS.from_epsg(WGS84),
                                                                   always_xy=True)
    invalid = _invalid_features(frame, transformer=transformer)
    if invalid:
        geoms = _repair(geoms, invalid=invalid, filename=filename, repair=repair)
        messages.append(
            _("Repaired with make_valid, not as uploaded: %(list)s. Check the repaired area on the "
              "map before you confirm.") % {"list": "; ".join(invalid[:5])}
        )
    geoms = _to_wgs84(geoms, transformer=transformer, source_crs=source_crs, epsg=epsg, filename=filename)
    geometry = shapely.union_all(geoms) if len(geoms) > 1 else geoms[0]
    if geometry.geom_type not in POLYGONAL or not geometry.is_valid:
        # Reprojection or union can, rarely, produce an invalid or mixed result: say so.
        raise area_error(
            _("%(file)s does not give one valid area after conversion to WGS84 (%(reason)s).")
            % {"file": filename, "reason": shapely.is_valid_reason(geometry)}
        )
    km2 = area_km2(geometry)
    if not math.isfinite(km2) or km2 <= 0:
        raise area_error(_("%(file)s has an area of zero.") % {"file": filename})
    return AreaGeometry(
        geometry=geometry, source_epsg=epsg, source_filename=filename,
        feature_count=len(geoms), area_km2=km2, messages=messages, repaired=bool(invalid),
    )


def _polygons(frame, *, filename: str) -> tuple[list[BaseGeometry], list[str]]:
    """The features' geometries, refusing anything but (multi)polygons; features without one are noted."""
    messages: list[str] = []
    geoms = [g for g in frame.geometry if g is not None and not g.is_empty]
    if len(frame) == 0 or not geoms:
        raise area_error(_("%(file)s contains no area: no feature with a geometry.") % {"file": filename})
    wrong = [
        (i + 1, g.geom_type) for i, g in enumerate(frame.geometry)
        if g is not None and not g.is_empty and g.geom_type not in POLYGONAL
    ]
    if wrong:
        listed = ", ".join(_("feature %(n)s is a %(type)s") % {"n": n, "type": t} for n, t in wrong[:10])
        raise area_error(
            _("%(file)s must contain only polygons or multipolygons: %(list)s%(more)s.")
            % {"file": filename, "list": listed,
               "more": _(" and %(n)s more") % {"n": len(wrong) - 10} if len(wrong) > 10 else ""}
        )
    skipped = len(frame) - len(geoms)
    if skipped:
        messages.append(_("%(n)s feature(s) without a geometry were ignored.") % {"n": skipped})
    return geoms, messages


def _invalid_features(frame, *, transformer: Transformer | None) -> list[str]:
    """What is wrong with each invalid feature, and where."""
    invalid = []
    for i, geom in enumerate(frame.geometry):
        if geom is None or geom.is_empty:
            continue
        reason = shapely.is_valid_reason(geom)
        if reason != "Valid Geometry":
            kind = reason.split("[", 1)[0]
            invalid.append(
                _("feature %(n)s: %(kind)s%(where)s")
                % {"n": i + 1, "kind": kind, "where": _where(reason, transformer)}
            )
    return invalid


def _repair(
    geoms: list[BaseGeometry], *, invalid: list[str], filename: str, repair: bool
) -> list[BaseGeometry]:
    """The geometries repaired with make_valid, only when asked for; never silently."""
    if not repair:
        raise area_error(
            _("%(file)s has invalid polygons, which are not repaired automatically: %(list)s. "
              "Correct them in your GIS tool and upload again, or ask for a repaired preview.")
            % {"file": filename, "list": "; ".join(invalid[:5])}
        )
    geoms = [_repaired(g) if not g.is_valid else g for g in geoms]
    if any(g.is_empty for g in geoms):
        raise area_error(
            _("%(file)s has invalid polygons that cannot be repaired into an area: %(list)s.")
            % {"file": filename, "list": "; ".join(invalid[:5])}
        )
    return geoms


def _to_wgs84(
    geoms: list[BaseGeometry], *, transformer: Transformer | None, source_crs: CRS, epsg: int, filename: str
) -> list[BaseGeometry]:
    """Reproject to WGS84, checking the coordinates lie where the source CRS is meant for."""
    coords = shapely.get_coordinates(geoms)
    if not bool((abs(coords) < 1e12).all()):
        raise area_error(_("%(file)s contains coordinates that are not finite numbers.") % {"file": filename})
    if transformer is not None:
        geoms = [shapely.transform(g, lambda xy: _transform_xy(transformer, xy)) for g in geoms]
    lonlat = shapely.get_coordinates(geoms)
    lon, lat = lonlat[:, 0], lonlat[:, 1]
    import numpy as np
    if not (np.isfinite(lonlat).all() and (abs(lon) <= 180).all() and (abs(lat) <= 90).all()):
        raise area_error(
            _("%(file)s has coordinates outside the range of EPSG:%(epsg)s (%(min_x)s … %(max_x)s, "
              "%(min_y)s … %(max_y)s). Is the coordinate system right? Projected coordinates in a "
              "file marked as WGS84 look like this.")
            % {"file": filename, "epsg": epsg, "min_x": f"{coords[:, 0].min():.6g}",
               "max_x": f"{coords[:, 0].max():.6g}", "min_y": f"{coords[:, 1].min():.6g}",
               "max_y": f"{coords[:, 1].max():.6g}"}
        )
    aou = source_crs.area_of_use
    if aou is not None and epsg != WGS84:
        m = AREA_OF_USE_MARGIN_DEG
        outside = (
            (lon < aou.west - m) | (lon > aou.east + m) | (lat < aou.south - m) | (lat > aou.north + m)
        )
        if bool(outside.any()):
            raise area_error(
                _("%(file)s has coordinates outside the area EPSG:%(epsg)s (%(crs)s) is meant for "
                  "(%(area)s): e.g. longitude %(lon).4f, latitude %(lat).4f. Is the coordinate "
                  "system right?")
                % {"file": filename, "epsg": epsg, "crs": source_crs.name, "area": aou.name,
                   "lon": float(lon[outside][0]), "lat": float(lat[outside][0])}
            )
    return geoms


def area_geometry_from_shape(
    *, geometry: BaseGeometry, source_filename: str = "", source_epsg: int = WGS84
) -> AreaGeometry:
    """An AreaGeometry from a WGS84 shapely (Multi)Polygon (demo data, tests). Checked the same way."""
    import geopandas

    frame = geopandas.GeoDataFrame(geometry=[geometry], crs=f"EPSG:{WGS84}")
    area = frame_check(frame, filename=source_filename or "geometry", is_geojson=False)
    area.source_epsg = source_epsg
    return area

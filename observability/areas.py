"""Reading observability-area files: GeoJSON, GeoPackage or a zipped Shapefile, in any EPSG CRS.

Every problem becomes a ValidationError on the field "file" with a message a person can act on,
and nothing is repaired silently. geopandas/pyogrio only read the file; all geometry work is
shapely 2 and pyproj (SPEC §9).
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import shapely
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from observability.geo import WGS84

GEOJSON_SUFFIXES = (".geojson", ".json")
SUFFIXES = (*GEOJSON_SUFFIXES, ".gpkg", ".zip")
# A zip may expand to at most this many times the upload limit (guards against zip bombs).
ZIP_EXPANSION_FACTOR = 10
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


def _error(message: str) -> ValidationError:
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


def _safe_zip_members(archive: zipfile.ZipFile, *, filename: str) -> list[zipfile.ZipInfo]:
    limit = settings.GRIDPREQUAL_MAX_UPLOAD_BYTES * ZIP_EXPANSION_FACTOR
    total = 0
    members = []
    for info in archive.infolist():
        name = info.filename
        path = PurePosixPath(name.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
            raise _error(
                _("%(file)s contains the path %(name)s, which points outside the archive; "
                  "refused. Zip the Shapefile's files without folders above them.")
                % {"file": filename, "name": name}
            )
        total += info.file_size
        if total > limit:
            raise _error(
                _("%(file)s expands to more than %(mb)s MB; refused.")
                % {"file": filename, "mb": limit // (1024 * 1024)}
            )
        if not info.is_dir():
            members.append(info)
    return members


def _extract_shapefile(path: Path, *, workdir: Path, filename: str) -> Path:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise _error(_("%(file)s is not a readable zip archive.") % {"file": filename}) from exc
    with archive:
        members = _safe_zip_members(archive, filename=filename)
        shps = [m for m in members if m.filename.lower().endswith(".shp")
                and not PurePosixPath(m.filename).name.startswith("._")]
        if not shps:
            raise _error(
                _("%(file)s contains no .shp file: expected a zipped Shapefile (.shp, .shx, .dbf "
                  "and .prj).") % {"file": filename}
            )
        if len(shps) > 1:
            raise _error(
                _("%(file)s contains %(n)s Shapefiles (%(names)s): expected exactly one.")
                % {"file": filename, "n": len(shps), "names": ", ".join(m.filename for m in shps)}
            )
        stem = shps[0].filename[:-4]
        wanted = {m.filename for m in members if m.filename[: len(stem)] == stem
                  and m.filename[len(stem):].lower() in (".shp", ".shx", ".dbf", ".prj", ".cpg")}
        suffixes = {m[len(stem):].lower() for m in wanted}
        if ".prj" not in suffixes:
            raise _error(
                _("%(file)s has no .prj file beside %(shp)s, so its coordinate system is unknown. "
                  "Add the .prj file (or upload GeoJSON or GeoPackage with an EPSG code).")
                % {"file": filename, "shp": shps[0].filename}
            )
        for missing in (".shx", ".dbf"):
            if missing not in suffixes:
                raise _error(
                    _("%(file)s lacks the %(part)s part of %(shp)s.")
                    % {"file": filename, "part": missing, "shp": shps[0].filename}
                )
        for name in wanted:
            # Flat names inside our own temporary folder: no path from the archive is used.
            target = workdir / ("layer" + name[len(stem):].lower())
            with archive.open(name) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
    return workdir / "layer.shp"


def _source_epsg(crs, *, filename: str, is_geojson: bool) -> int:
    if crs is None:
        if is_geojson:
            return WGS84  # RFC 7946: GeoJSON without "crs" is WGS84 longitude/latitude.
        raise _error(
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
        raise _error(
            _("The coordinate system of %(file)s (%(name)s) has no EPSG code. "
              "Expected a known EPSG code, such as 3006 (SWEREF99 TM) or 4326 (WGS84).")
            % {"file": filename, "name": getattr(crs, "name", str(crs))}
        )
    return int(epsg)


def _read_frame(path: Path, *, filename: str):
    import geopandas
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        layers = pyogrio.list_layers(path)
    except (DataSourceError, DataLayerError, OSError) as exc:
        raise _error(
            _("%(file)s could not be read as geographic data: %(error)s")
            % {"file": filename, "error": str(exc).splitlines()[0][:200]}
        ) from exc
    if len(layers) == 0:
        raise _error(_("%(file)s contains no layer.") % {"file": filename})
    if len(layers) > 1:
        raise _error(
            _("%(file)s contains %(n)s layers (%(names)s): expected one layer with the area.")
            % {"file": filename, "n": len(layers), "names": ", ".join(str(x[0]) for x in layers)}
        )
    try:
        return geopandas.read_file(path, engine="pyogrio")
    except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
        raise _error(
            _("%(file)s could not be read as geographic data: %(error)s")
            % {"file": filename, "error": str(exc).splitlines()[0][:200]}
        ) from exc


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


def area_file_read(*, file, filename: str, repair: bool = False) -> AreaGeometry:
    """Read, check and reproject an uploaded area file. Raises ValidationError on any problem.

    Invalid polygons are refused, saying where, unless `repair` is asked for: then they are
    repaired with shapely's make_valid and the result says so, for the engineer to check on
    the preview map before confirming (never silently).
    """
    filename = os.path.basename(filename or getattr(file, "name", "") or "upload")
    size = getattr(file, "size", None)
    limit = settings.GRIDPREQUAL_MAX_UPLOAD_BYTES
    if size is not None and size > limit:
        raise _error(
            _("%(file)s is %(size).1f MB; the limit is %(limit).1f MB.")
            % {"file": filename, "size": size / 1048576, "limit": limit / 1048576}
        )
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise _error(
            _("%(file)s is not a supported file: expected GeoJSON (.geojson, .json), "
              "GeoPackage (.gpkg) or a zipped Shapefile (.zip).") % {"file": filename}
        )
    workdir = Path(tempfile.mkdtemp(prefix="gridprequal-area-"))
    try:
        raw = workdir / ("upload" + suffix)
        written = 0
        with open(raw, "wb") as dst:
            chunks = file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(1 << 20), b"")
            for chunk in chunks:
                written += len(chunk)
                if written > limit:
                    raise _error(
                        _("%(file)s is larger than the limit of %(limit).1f MB.")
                        % {"file": filename, "limit": limit / 1048576}
                    )
                dst.write(chunk)
        if written == 0:
            raise _error(_("%(file)s is empty.") % {"file": filename})
        path = _extract_shapefile(raw, workdir=workdir, filename=filename) if suffix == ".zip" else raw
        frame = _read_frame(path, filename=filename)
        return _check_frame(frame, filename=filename, is_geojson=suffix in GEOJSON_SUFFIXES, repair=repair)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _check_frame(frame, *, filename: str, is_geojson: bool, repair: bool = False) -> AreaGeometry:
    messages: list[str] = []
    geoms = [g for g in frame.geometry if g is not None and not g.is_empty]
    if len(frame) == 0 or not geoms:
        raise _error(_("%(file)s contains no area: no feature with a geometry.") % {"file": filename})
    wrong = [
        (i + 1, g.geom_type) for i, g in enumerate(frame.geometry)
        if g is not None and not g.is_empty and g.geom_type not in POLYGONAL
    ]
    if wrong:
        listed = ", ".join(_("feature %(n)s is a %(type)s") % {"n": n, "type": t} for n, t in wrong[:10])
        raise _error(
            _("%(file)s must contain only polygons or multipolygons: %(list)s%(more)s.")
            % {"file": filename, "list": listed,
               "more": _(" and %(n)s more") % {"n": len(wrong) - 10} if len(wrong) > 10 else ""}
        )
    skipped = len(frame) - len(geoms)
    if skipped:
        messages.append(_("%(n)s feature(s) without a geometry were ignored.") % {"n": skipped})

    epsg = _source_epsg(frame.crs, filename=filename, is_geojson=is_geojson)
    if frame.crs is None and is_geojson:
        messages.append(_("The GeoJSON file names no coordinate system: read as WGS84 (RFC 7946)."))
    source_crs = CRS.from_epsg(epsg)
    transformer = None if epsg == WGS84 else Transformer.from_crs(source_crs, CRS.from_epsg(WGS84),
                                                                   always_xy=True)
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
    repaired = False
    if invalid and not repair:
        raise _error(
            _("%(file)s has invalid polygons, which are not repaired automatically: %(list)s. "
              "Correct them in your GIS tool and upload again, or ask for a repaired preview.")
            % {"file": filename, "list": "; ".join(invalid[:5])}
        )
    if invalid:
        geoms = [_repaired(g) if not g.is_valid else g for g in geoms]
        if any(g.is_empty for g in geoms):
            raise _error(
                _("%(file)s has invalid polygons that cannot be repaired into an area: %(list)s.")
                % {"file": filename, "list": "; ".join(invalid[:5])}
            )
        repaired = True
        messages.append(
            _("Repaired with make_valid, not as uploaded: %(list)s. Check the repaired area on the "
              "map before you confirm.") % {"list": "; ".join(invalid[:5])}
        )
    # Reproject to WGS84 and check the coordinates lie where the source CRS is meant for.
    coords = shapely.get_coordinates(geoms)
    if not bool((abs(coords) < 1e12).all()):
        raise _error(_("%(file)s contains coordinates that are not finite numbers.") % {"file": filename})
    if transformer is not None:
        geoms = [shapely.transform(g, lambda xy: _transform_xy(transformer, xy)) for g in geoms]
    lonlat = shapely.get_coordinates(geoms)
    lon, lat = lonlat[:, 0], lonlat[:, 1]
    import numpy as np

    if not (np.isfinite(lonlat).all() and (abs(lon) <= 180).all() and (abs(lat) <= 90).all()):
        raise _error(
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
            raise _error(
                _("%(file)s has coordinates outside the area EPSG:%(epsg)s (%(crs)s) is meant for "
                  "(%(area)s): e.g. longitude %(lon).4f, latitude %(lat).4f. Is the coordinate "
                  "system right?")
                % {"file": filename, "epsg": epsg, "crs": source_crs.name, "area": aou.name,
                   "lon": float(lon[outside][0]), "lat": float(lat[outside][0])}
            )
    geometry = shapely.union_all(geoms) if len(geoms) > 1 else geoms[0]
    if geometry.geom_type not in POLYGONAL or not geometry.is_valid:
        # Reprojection or union can, rarely, produce an invalid or mixed result: say so.
        raise _error(
            _("%(file)s does not give one valid area after conversion to WGS84 (%(reason)s).")
            % {"file": filename, "reason": shapely.is_valid_reason(geometry)}
        )
    km2 = area_km2(geometry)
    if not math.isfinite(km2) or km2 <= 0:
        raise _error(_("%(file)s has an area of zero.") % {"file": filename})
    return AreaGeometry(
        geometry=geometry, source_epsg=epsg, source_filename=filename,
        feature_count=len(geoms), area_km2=km2, messages=messages, repaired=repaired,
    )


def area_geometry_from_shape(
    *, geometry: BaseGeometry, source_filename: str = "", source_epsg: int = WGS84
) -> AreaGeometry:
    """An AreaGeometry from a WGS84 shapely (Multi)Polygon (demo data, tests). Checked the same way."""
    import geopandas

    frame = geopandas.GeoDataFrame(geometry=[geometry], crs=f"EPSG:{WGS84}")
    area = _check_frame(frame, filename=source_filename or "geometry", is_geojson=False)
    area.source_epsg = source_epsg
    return area


def area_geojson(*, area) -> str:
    """An area version as a GeoJSON FeatureCollection (WGS84, RFC 7946) with its metadata."""
    import json

    so = area.system_operator
    feature = {
        "type": "Feature",
        "properties": {
            "area_version_id": area.pk,
            "system_operator_id": so.pk,
            "system_operator": so.name,
            "eic_code": so.eic_code,
            "tier": so.tier,
            "valid_from": area.valid_from.isoformat(),
            "area_km2": round(area.area_km2, 3),
            "source_filename": area.source_filename,
            "source_epsg": area.source_epsg,
        },
        "geometry": json.loads(shapely.to_geojson(area.geometry)),
    }
    return json.dumps({"type": "FeatureCollection", "features": [feature]})


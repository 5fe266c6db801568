"""Reading observability-area files: GeoJSON, GeoPackage or a zipped Shapefile, in any EPSG CRS.

Every problem becomes a ValidationError on the field "file" with a message a person can act on,
and nothing is repaired silently. geopandas/pyogrio only read the file; all geometry work is
shapely 2 and pyproj (SPEC §9).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import shapely
from django.conf import settings
from django.utils.translation import gettext as _

from observability.area_archive import extract_shapefile, vertex_limit_error
from observability.area_geometry import AreaGeometry, area_error, frame_check

GEOJSON_SUFFIXES = (".geojson", ".json")
SUFFIXES = (*GEOJSON_SUFFIXES, ".gpkg", ".zip")
# Features per batch while counting vertices before the real read (GeoJSON, GeoPackage).
COUNT_BATCH = 256
# Absolute paths inside a library's message (GDAL names the file it failed on).
_PATH = re.compile(r"(?<!\w)(?:[A-Za-z]:)?(?:[/\\][^\s/\\:'\"]+){2,}[/\\]?")


def _library_detail(exc: Exception, *, workdir: Path, filename: str) -> str:
    """The first line of a GDAL/pyogrio message, with our server's paths replaced by the file's name."""
    text = (str(exc).splitlines() or [""])[0]
    text = text.replace(str(workdir), "").replace(str(workdir.resolve()), "")
    text = _PATH.sub(filename, text).strip(" :")
    return text[:200]


def _unreadable(exc: Exception, *, workdir: Path, filename: str):
    detail = _library_detail(exc, workdir=workdir, filename=filename)
    message = _("%(file)s could not be read as geographic data (GeoJSON, GeoPackage or Shapefile): "
                "the file is damaged, incomplete or of another kind.") % {"file": filename}
    if detail:
        message += " " + _("Detail: %(detail)s") % {"detail": detail}
    return area_error(message)


def _count_vertices(path: Path, *, filename: str, limit: int) -> int:
    """Vertices of every feature, read a batch of geometries at a time; stops once over `limit`."""
    import pyogrio.raw

    total, skip = 0, 0
    while True:
        _meta, _fids, wkb, _fields = pyogrio.raw.read(
            path, columns=[], skip_features=skip, max_features=COUNT_BATCH
        )
        if wkb is None or len(wkb) == 0:
            return total
        geoms = shapely.from_wkb(wkb, on_invalid="ignore")
        total += int(shapely.get_num_coordinates(geoms).sum())
        if total > limit:
            raise vertex_limit_error(filename)
        if len(wkb) < COUNT_BATCH:
            return total
        skip += len(wkb)


def _read_frame(path: Path, *, filename: str, workdir: Path, count: bool):
    import geopandas
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    errors = (DataSourceError, DataLayerError, OSError, ValueError, RuntimeError,
              shapely.errors.GEOSException)
    try:
        layers = pyogrio.list_layers(path)
        if len(layers) == 0:
            raise area_error(_("%(file)s contains no layer.") % {"file": filename})
        if len(layers) > 1:
            raise area_error(
                _("%(file)s contains %(n)s layers (%(names)s): expected one layer with the area.")
                % {"file": filename, "n": len(layers), "names": ", ".join(str(x[0]) for x in layers)}
            )
        if count:
            _count_vertices(path, filename=filename, limit=settings.GRIDPREQUAL_AREA_MAX_VERTICES)
        return geopandas.read_file(path, engine="pyogrio")
    except errors as exc:
        raise _unreadable(exc, workdir=workdir, filename=filename) from exc


def _write_upload(file, *, raw: Path, filename: str) -> None:
    limit = settings.GRIDPREQUAL_MAX_UPLOAD_BYTES
    written = 0
    if hasattr(file, "seek"):
        file.seek(0)
    with open(raw, "wb") as dst:
        chunks = file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(1 << 20), b"")
        for chunk in chunks:
            written += len(chunk)
            if written > limit:
                raise area_error(
                    _("%(file)s is larger than the limit of %(limit).1f MB.")
                    % {"file": filename, "limit": limit / 1048576}
                )
            dst.write(chunk)
    if written == 0:
        raise area_error(_("%(file)s is empty.") % {"file": filename})


def area_file_precheck(*, file, filename: str) -> str:
    """The cheap checks, done in the request before anything is queued: name, kind and size.

    Returns the file's base name.
    """
    filename = os.path.basename(filename or getattr(file, "name", "") or "upload")
    size = getattr(file, "size", None)
    limit = settings.GRIDPREQUAL_MAX_UPLOAD_BYTES
    if size is not None and size > limit:
        raise area_error(
            _("%(file)s is %(size).1f MB; the limit is %(limit).1f MB.")
            % {"file": filename, "size": size / 1048576, "limit": limit / 1048576}
        )
    if Path(filename).suffix.lower() not in SUFFIXES:
        raise area_error(
            _("%(file)s is not a supported file: expected GeoJSON (.geojson, .json), "
              "GeoPackage (.gpkg) or a zipped Shapefile (.zip).") % {"file": filename}
        )
    if size == 0:
        raise area_error(_("%(file)s is empty.") % {"file": filename})
    return filename


def area_file_read(*, file, filename: str, repair: bool = False, progress=None) -> AreaGeometry:
    """Read, check and reproject an uploaded area file. Raises ValidationError on any problem.

    Invalid polygons are refused, saying where, unless `repair` is asked for: then they are
    repaired with shapely's make_valid and the result says so, for the engineer to check on
    the preview map before confirming (never silently). The vertices are counted before any
    geometry is built (GRIDPREQUAL_AREA_MAX_VERTICES). `progress(percent)` is told how far it got.
    The temporary folder (under FILE_UPLOAD_TEMP_DIR) is removed before returning, also on errors.
    """
    progress = progress or (lambda percent: None)
    filename = area_file_precheck(file=file, filename=filename)
    suffix = Path(filename).suffix.lower()
    workdir = Path(tempfile.mkdtemp(prefix="gridprequal-area-", dir=settings.FILE_UPLOAD_TEMP_DIR))
    try:
        raw = workdir / ("upload" + suffix)
        _write_upload(file, raw=raw, filename=filename)
        progress(10)
        if suffix == ".zip":
            path = extract_shapefile(raw, workdir=workdir, filename=filename)
            raw.unlink()
        else:
            path = raw
        progress(25)
        frame = _read_frame(path, filename=filename, workdir=workdir, count=suffix != ".zip")
        progress(50)
        return frame_check(frame, filename=filename, is_geojson=suffix in GEOJSON_SUFFIXES, repair=repair)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


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


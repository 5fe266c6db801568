"""Reading observability-area files: GeoJSON, GeoPackage or a zipped Shapefile, in any EPSG CRS.

Every problem becomes a ValidationError on the field "file" with a message a person can act on,
and nothing is repaired silently. geopandas/pyogrio only read the file; all geometry work is
shapely 2 and pyproj (SPEC §9).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

import shapely
from django.conf import settings
from django.utils.translation import gettext as _

from observability.area_geometry import AreaGeometry, area_error, frame_check

GEOJSON_SUFFIXES = (".geojson", ".json")
SUFFIXES = (*GEOJSON_SUFFIXES, ".gpkg", ".zip")
# A zip may expand to at most this many times the upload limit (guards against zip bombs).
ZIP_EXPANSION_FACTOR = 10


def _safe_zip_members(archive: zipfile.ZipFile, *, filename: str) -> list[zipfile.ZipInfo]:
    limit = settings.GRIDPREQUAL_MAX_UPLOAD_BYTES * ZIP_EXPANSION_FACTOR
    total = 0
    members = []
    for info in archive.infolist():
        name = info.filename
        path = PurePosixPath(name.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
            raise area_error(
                _("%(file)s contains the path %(name)s, which points outside the archive; "
                  "refused. Zip the Shapefile's files without folders above them.")
                % {"file": filename, "name": name}
            )
        total += info.file_size
        if total > limit:
            raise area_error(
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
        raise area_error(_("%(file)s is not a readable zip archive.") % {"file": filename}) from exc
    with archive:
        members = _safe_zip_members(archive, filename=filename)
        shps = [m for m in members if m.filename.lower().endswith(".shp")
                and not PurePosixPath(m.filename).name.startswith("._")]
        if not shps:
            raise area_error(
                _("%(file)s contains no .shp file: expected a zipped Shapefile (.shp, .shx, .dbf "
                  "and .prj).") % {"file": filename}
            )
        if len(shps) > 1:
            raise area_error(
                _("%(file)s contains %(n)s Shapefiles (%(names)s): expected exactly one.")
                % {"file": filename, "n": len(shps), "names": ", ".join(m.filename for m in shps)}
            )
        stem = shps[0].filename[:-4]
        wanted = {m.filename for m in members if m.filename[: len(stem)] == stem
                  and m.filename[len(stem):].lower() in (".shp", ".shx", ".dbf", ".prj", ".cpg")}
        suffixes = {m[len(stem):].lower() for m in wanted}
        if ".prj" not in suffixes:
            raise area_error(
                _("%(file)s has no .prj file beside %(shp)s, so its coordinate system is unknown. "
                  "Add the .prj file (or upload GeoJSON or GeoPackage with an EPSG code).")
                % {"file": filename, "shp": shps[0].filename}
            )
        for missing in (".shx", ".dbf"):
            if missing not in suffixes:
                raise area_error(
                    _("%(file)s lacks the %(part)s part of %(shp)s.")
                    % {"file": filename, "part": missing, "shp": shps[0].filename}
                )
        for name in wanted:
            # Flat names inside our own temporary folder: no path from the archive is used.
            target = workdir / ("layer" + name[len(stem):].lower())
            with archive.open(name) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
    return workdir / "layer.shp"


def _read_frame(path: Path, *, filename: str):
    import geopandas
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        layers = pyogrio.list_layers(path)
    except (DataSourceError, DataLayerError, OSError) as exc:
        raise area_error(
            _("%(file)s could not be read as geographic data: %(error)s")
            % {"file": filename, "error": str(exc).splitlines()[0][:200]}
        ) from exc
    if len(layers) == 0:
        raise area_error(_("%(file)s contains no layer.") % {"file": filename})
    if len(layers) > 1:
        raise area_error(
            _("%(file)s contains %(n)s layers (%(names)s): expected one layer with the area.")
            % {"file": filename, "n": len(layers), "names": ", ".join(str(x[0]) for x in layers)}
        )
    try:
        return geopandas.read_file(path, engine="pyogrio")
    except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
        raise area_error(
            _("%(file)s could not be read as geographic data: %(error)s")
            % {"file": filename, "error": str(exc).splitlines()[0][:200]}
        ) from exc


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
        raise area_error(
            _("%(file)s is %(size).1f MB; the limit is %(limit).1f MB.")
            % {"file": filename, "size": size / 1048576, "limit": limit / 1048576}
        )
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise area_error(
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
                    raise area_error(
                        _("%(file)s is larger than the limit of %(limit).1f MB.")
                        % {"file": filename, "limit": limit / 1048576}
                    )
                dst.write(chunk)
        if written == 0:
            raise area_error(_("%(file)s is empty.") % {"file": filename})
        path = _extract_shapefile(raw, workdir=workdir, filename=filename) if suffix == ".zip" else raw
        frame = _read_frame(path, filename=filename)
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


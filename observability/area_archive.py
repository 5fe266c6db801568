"""Zipped Shapefiles, opened without trusting them: paths, sizes, encryption and compression are
checked on the archive's directory before anything is extracted, and the Shapefile's vertices
are counted from its record headers (streamed, nothing kept) before GDAL reads it.

Read by observability.areas; every problem is a ValidationError on the field "file".
"""

from __future__ import annotations

import shutil
import struct
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.utils.translation import gettext as _

from observability.area_geometry import area_error

# The compression methods Python's zipfile reads (others: implode, deflate64, AES …).
READABLE_COMPRESSION = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
# What reading a damaged member can raise: bad CRC or headers, a broken stream, a cut-off file.
ZIP_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError,
                   ValueError, struct.error)
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def unreadable_zip(filename: str):
    return area_error(
        _("%(file)s is not a readable zip archive (damaged or incomplete). Zip the Shapefile's files "
          "again and upload the new archive.") % {"file": filename}
    )


def vertex_limit_error(filename: str):
    limit = settings.GRIDPREQUAL_AREA_MAX_VERTICES
    return area_error(
        _("%(file)s has more than %(limit)s vertices, the most an area may have. Simplify the area in "
          "your GIS tool (e.g. to a tolerance of 10 m) and upload it again.")
        % {"file": filename, "limit": f"{limit:,}".replace(",", "\u00a0")}
    )


def _check_member(info: zipfile.ZipInfo, *, filename: str) -> None:
    name = info.filename
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise area_error(
            _("%(file)s contains the path %(name)s, which points outside the archive; "
              "refused. Zip the Shapefile's files without folders above them.")
            % {"file": filename, "name": name}
        )
    if info.flag_bits & 0x1:
        raise area_error(
            _("%(file)s is protected by a password (%(name)s is encrypted). Upload an archive "
              "without a password.") % {"file": filename, "name": name}
        )
    if info.compress_type not in READABLE_COMPRESSION:
        raise area_error(
            _("%(file)s uses a compression method that cannot be read (method %(method)s in %(name)s). "
              "Zip the files again with the ordinary method (Deflate).")
            % {"file": filename, "method": info.compress_type, "name": name}
        )


def safe_zip_members(archive: zipfile.ZipFile, *, filename: str) -> list[zipfile.ZipInfo]:
    """The archive's files, refused as a whole if any member is unsafe or it expands too far."""
    limit = settings.GRIDPREQUAL_AREA_MAX_EXPANDED_BYTES
    total = 0
    members = []
    for info in archive.infolist():
        _check_member(info, filename=filename)
        # The declared size bounds what zipfile extracts, whatever the data would expand to.
        total += info.file_size
        if total > limit:
            raise area_error(
                _("%(file)s expands to more than %(mb)s MB; refused.")
                % {"file": filename, "mb": limit // (1024 * 1024)}
            )
        if not info.is_dir():
            members.append(info)
    return members


def _shapefile_parts(members: list[zipfile.ZipInfo], *, filename: str) -> tuple[str, dict[str, str]]:
    """(the .shp's name, {suffix: member name}) of the archive's one Shapefile."""
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
    shp = shps[0].filename
    stem = shp[:-4]
    parts = {m.filename[len(stem):].lower(): m.filename for m in members
             if m.filename[: len(stem)] == stem and m.filename[len(stem):].lower() in SHAPEFILE_PARTS}
    if ".prj" not in parts:
        raise area_error(
            _("%(file)s has no .prj file beside %(shp)s, so its coordinate system is unknown. "
              "Add the .prj file (or upload GeoJSON or GeoPackage with an EPSG code).")
            % {"file": filename, "shp": shp}
        )
    for missing in (".shx", ".dbf"):
        if missing not in parts:
            raise area_error(
                _("%(file)s lacks the %(part)s part of %(shp)s.")
                % {"file": filename, "part": missing, "shp": shp}
            )
    return shp, parts


def _read_exactly(stream, n: int) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise EOFError
    return data


def _skip(stream, n: int) -> None:
    while n > 0:
        chunk = stream.read(min(n, 1 << 20))
        if not chunk:
            raise EOFError
        n -= len(chunk)


# Where a record's point count sits (bytes into its content), by shape type.
_NUM_POINTS_AT = {3: 40, 5: 40, 13: 40, 15: 40, 23: 40, 25: 40, 31: 40, 8: 36, 18: 36, 28: 36}


def shp_vertex_count(stream, *, limit: int) -> int:
    """The vertices of a .shp stream, read record by record; stops as soon as `limit` is passed.

    Streams (no seeking, nothing kept), so it runs on the zip member before extraction.
    Raises EOFError or struct.error on a damaged file.
    """
    header = _read_exactly(stream, 100)
    if struct.unpack(">i", header[:4])[0] != 9994:
        raise ValueError("not a shapefile")
    count = 0
    while True:
        record = stream.read(8)
        if not record:
            return count
        if len(record) != 8:
            raise EOFError
        length = struct.unpack(">2i", record)[1] * 2
        if length < 4:
            raise ValueError("bad record")
        shape_type = struct.unpack("<i", _read_exactly(stream, 4))[0]
        at = _NUM_POINTS_AT.get(shape_type)
        read = 4
        if at is not None:
            _skip(stream, at - 4)
            count += struct.unpack("<i", _read_exactly(stream, 4))[0]
            read = at + 4
        elif shape_type in (1, 11, 21):
            count += 1
        _skip(stream, length - read)
        if count > limit:
            return count


def extract_shapefile(path: Path, *, workdir: Path, filename: str) -> Path:
    """Check the archive, count the Shapefile's vertices, then extract it under flat names."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = safe_zip_members(archive, filename=filename)
            shp, parts = _shapefile_parts(members, filename=filename)
            limit = settings.GRIDPREQUAL_AREA_MAX_VERTICES
            with archive.open(shp) as stream:
                try:
                    vertices = shp_vertex_count(stream, limit=limit)
                except (EOFError, ValueError, struct.error) as exc:
                    raise area_error(
                        _("%(file)s: %(shp)s is damaged or incomplete (not a readable Shapefile).")
                        % {"file": filename, "shp": shp}
                    ) from exc
            if vertices > limit:
                raise vertex_limit_error(filename)
            for suffix, name in parts.items():
                # Flat names inside our own temporary folder: no path from the archive is used.
                with archive.open(name) as src, open(workdir / ("layer" + suffix), "wb") as dst:
                    shutil.copyfileobj(src, dst)
    except ZIP_READ_ERRORS as exc:
        raise unreadable_zip(filename) from exc
    return workdir / "layer.shp"

"""A corpus of broken and hostile observability-area files, built in code (no binary fixtures).

Each entry is (id, file name, bytes). Read by tests/observability/test_area_upload_corpus.py,
which uploads every entry through the page and the API; bench/area_upload_bench.py builds its
large files with the same helpers.
"""

from __future__ import annotations

import functools
import io
import struct
import tempfile
import zipfile
from pathlib import Path

import shapely

from tests.gis import SQUARE, geojson_bytes


def written(geometries, *, driver: str, suffix: str, crs: str = "EPSG:4326") -> dict[str, bytes]:
    """The files pyogrio writes for these geometries ({suffix: bytes}; a Shapefile has several)."""
    import geopandas

    frame = geopandas.GeoDataFrame({"n": list(range(len(geometries)))}, geometry=list(geometries), crs=crs)
    with tempfile.TemporaryDirectory() as folder:
        frame.to_file(Path(folder) / f"area{suffix}", driver=driver, engine="pyogrio")
        return {p.suffix.lower(): p.read_bytes() for p in Path(folder).iterdir()}


def zipped(members: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@functools.cache
def shapefile_parts(geometries: tuple = (SQUARE,)) -> dict[str, bytes]:
    return written(list(geometries), driver="ESRI Shapefile", suffix=".shp")


def shapefile_zip(parts: dict[str, bytes] | None = None, *, drop: tuple[str, ...] = (), stem="area") -> bytes:
    parts = parts or shapefile_parts()
    return zipped({f"{stem}{suffix}": data for suffix, data in parts.items() if suffix not in drop})


def patched_zip(data: bytes, *, flags: int | None = None, method: int | None = None,
                size: int | None = None) -> bytes:
    """The archive with its first member's headers rewritten (both local and central directory)."""
    out = bytearray(data)
    local, central = out.find(b"PK\x03\x04"), out.find(b"PK\x01\x02")
    for offset, flag_at, method_at, size_at in ((local, 6, 8, 22), (central, 8, 10, 24)):
        if flags is not None:
            struct.pack_into("<H", out, offset + flag_at, flags)
        if method is not None:
            struct.pack_into("<H", out, offset + method_at, method)
        if size is not None:
            struct.pack_into("<I", out, offset + size_at, size)
    return bytes(out)


@functools.cache
def gpkg_bytes() -> bytes:
    return written([SQUARE], driver="GPKG", suffix=".gpkg")[".gpkg"]


def corpus() -> list[tuple[str, str, bytes]]:
    good_zip = shapefile_zip()
    parts = shapefile_parts()
    garbage = {suffix: b"\x00garbage\xff" * 10 for suffix in parts}
    garbage[".prj"] = parts[".prj"]
    half_shp = dict(parts)
    half_shp[".shp"] = parts[".shp"][: 100 + 30]  # the header and a record cut short
    return [
        ("empty", "area.geojson", b""),
        ("not-geo-text", "area.geojson", b"hello, this is not GeoJSON at all"),
        ("truncated-geojson", "area.geojson", geojson_bytes(SQUARE)[:60]),
        ("points-not-polygons", "area.geojson", geojson_bytes(shapely.Point(18, 59))),
        ("png-as-gpkg", "area.gpkg", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200),
        ("truncated-gpkg", "area.gpkg", gpkg_bytes()[: len(gpkg_bytes()) // 3]),
        ("random-zip", "area.zip", bytes(range(256)) * 8),
        ("truncated-zip", "area.zip", good_zip[: len(good_zip) // 2]),
        ("encrypted-zip", "area.zip", patched_zip(good_zip, flags=0x1)),
        ("implode-compressed-zip", "area.zip", patched_zip(good_zip, method=6)),
        ("deflate64-compressed-zip", "area.zip", patched_zip(good_zip, method=9)),
        ("declared-zip-bomb", "area.zip", patched_zip(good_zip, size=0xFFFF_FFF0)),
        ("no-shp", "area.zip", shapefile_zip(drop=(".shp",))),
        ("no-prj", "area.zip", shapefile_zip(drop=(".prj",))),
        ("no-shx", "area.zip", shapefile_zip(drop=(".shx",))),
        ("path-traversal", "area.zip", shapefile_zip(stem="../area")),
        ("garbage-shapefile", "area.zip", shapefile_zip(garbage)),
        ("truncated-shp", "area.zip", shapefile_zip(half_shp)),
        ("geojson-in-zip", "area.zip", zipped({"area.geojson": geojson_bytes(SQUARE)})),
        ("zip-in-zip", "area.zip", zipped({"inner.zip": good_zip})),
        ("unsupported-suffix", "area.txt", geojson_bytes(SQUARE)),
    ]

"""Benchmark SPEC §7's area-upload row: upload and preview of a national observability-area file
(2,000 polygons of ~1,000 vertices) ≤ 30 s and ≤ 500 MB peak; a 10-million-vertex file refused ≤ 5 s.

The national file is the reference set's local-DSO polygons (refdata shape `areas`) as a zipped
Shapefile in SWEREF 99 TM (EPSG:3006), uploaded as the TSO's new area over its current one with
the reference set's connection points in the database (the preview counts who enters and leaves).
The hostile file is a ~200 kB zip whose Shapefile holds 10,000,000 vertices. Each upload is
measured in a fresh child process running exactly what the worker runs (area_upload_start, then
area_upload_process): wall time, and the child's peak RSS (ru_maxrss) and its growth over its
level before the upload.

    .venv/bin/python bench/area_upload_bench.py                       # the budget's sizes
    .venv/bin/python bench/area_upload_bench.py --preset quick        # seconds, for a smoke run
    .venv/bin/python bench/area_upload_bench.py --write docs/PERFORMANCE.md

Floor: reading the same file with geopandas/pyogrio and the bare `shapely.union_all` of its
polygons (what any upload must at least do), in the same kind of child process.
"""

from __future__ import annotations

import io
import json
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchkit  # noqa: E402
from shapes.areas import EXTENT, make_polygons  # noqa: E402

ROOT = benchkit.ROOT
PRESETS = {
    "full": {"points": 1_000_000, "polygons": 2_000, "vertices": 1_000, "hostile": 10_000_000},
    "quick": {"points": 20_000, "polygons": 60, "vertices": 200, "hostile": 10_000_000},
}
KEY = "area-upload-bench"
MARK_START, MARK_END = benchkit.markers(KEY)
WGS84_PRJ = ('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
             'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]')
HOSTILE_RING = 10_000  # vertices per hostile record (a ring cycling over four corners)


def machine() -> str:
    import pyogrio
    import shapely

    return benchkit.machine_line(
        extra=f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string}), "
        f"pyogrio {pyogrio.__version__}"
    )


def rss_mb() -> float:
    """This process's peak RSS. VmHWM starts afresh at exec (ru_maxrss would keep the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


# --- the files --------------------------------------------------------------------------------------


def national_zip(*, polygons: int, vertices: int, folder: Path) -> tuple[Path, int]:
    """The local-DSO polygons of refdata's `areas` shape as a zipped Shapefile in EPSG:3006."""
    import geopandas

    shapes = make_polygons(polygons=polygons + 6, vertices=vertices)
    generated = [g for tier, g in shapes if tier == "local_dso"]
    frame = geopandas.GeoDataFrame({"n": range(len(generated))}, geometry=generated, crs="EPSG:4326")
    frame = frame.to_crs(3006)
    shp_dir = folder / "national"
    shp_dir.mkdir()
    frame.to_file(shp_dir / "national.shp", engine="pyogrio")
    path = folder / "national.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(shp_dir.iterdir()):
            archive.write(part, part.name)
    return path, len(generated)


def _shp_header(*, shape_type: int, length_words: int, bbox) -> bytes:
    return struct.pack(">7i", 9994, 0, 0, 0, 0, 0, length_words) + struct.pack(
        "<2i4d4d", 1000, shape_type, *bbox, 0, 0, 0, 0
    )


def hostile_zip(*, vertices: int, folder: Path) -> Path:
    """A zipped Shapefile of `vertices` vertices that compresses ~1,000-fold (rings over 4 corners)."""
    records = vertices // HOSTILE_RING
    corners = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype="<f8")
    points = np.tile(corners, (HOSTILE_RING // 4, 1)).tobytes()
    content = struct.pack("<i4d2i", 5, 0, 0, 1, 1, 1, HOSTILE_RING) + struct.pack("<i", 0) + points
    words = len(content) // 2
    bbox = (0.0, 0.0, 1.0, 1.0)
    shp_len = (100 + records * (8 + len(content))) // 2
    path = folder / "hostile.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("hostile.shp", "w", force_zip64=True) as shp:
            shp.write(_shp_header(shape_type=5, length_words=shp_len, bbox=bbox))
            for i in range(records):
                shp.write(struct.pack(">2i", i + 1, words) + content)
        shx = io.BytesIO()
        shx.write(_shp_header(shape_type=5, length_words=(100 + 8 * records) // 2, bbox=bbox))
        for i in range(records):
            shx.write(struct.pack(">2i", (100 + i * (8 + len(content))) // 2, words))
        archive.writestr("hostile.shx", shx.getvalue())
        archive.writestr("hostile.dbf", b"\x03" + b"\x00" * 31 + b"\r")
        archive.writestr("hostile.prj", WGS84_PRJ)
    return path


# --- the database -------------------------------------------------------------------------------------


def world_create(*, points: int, seed: int = 1) -> None:
    """A TSO with an engineer, its current area (the extent) and `points` connection points in it."""
    from datetime import UTC, datetime

    from django.db import connection
    from shapely.geometry import box

    from accounts.models import Membership, Organisation, User
    from observability.area_geometry import area_geometry_from_shape
    from observability.services import area_version_import, system_operator_create

    tso = system_operator_create(name="Bench TSO", eic_code="10YSE-1--------K", tier="tso")
    user = User.objects.create_user(username="bench-engineer", password="x")
    Membership.objects.create(user=user, organisation=Organisation.objects.get(pk=tso.organisation_id),
                              role=Membership.Role.SO_ENGINEER)
    area_version_import(system_operator=tso, area=area_geometry_from_shape(geometry=box(*EXTENT)),
                        valid_from=datetime(2024, 1, 1, tzinfo=UTC))
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = EXTENT
    lon, lat = rng.uniform(x0, x1, points), rng.uniform(y0, y1, points)
    now = datetime.now(UTC).isoformat()
    rows = ((f"{800000000000000000 + i}", tso.pk, float(lat[i]), float(lon[i]), "lv", "SE3", now, now)
            for i in range(points))
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO observability_connectionpoint (gsrn, connecting_so_id, latitude, longitude, "
            "voltage_level, bidding_zone, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


# --- the child: one upload, measured ------------------------------------------------------------------


def child(db: str, path: str, mode: str) -> None:
    """Run one upload (or the floor) in this fresh process and print its figures as JSON."""
    benchkit.django_setup(url=f"sqlite:///{db}")
    import geopandas  # noqa: F401  (imported before the baseline: every worker has it loaded)
    import shapely

    from accounts.models import User
    from observability.area_staging import area_upload_process, area_upload_start
    from observability.models import AreaUpload, SystemOperator

    data = Path(path).read_bytes()
    baseline = rss_mb()
    t = time.perf_counter()
    if mode == "floor":
        import tempfile as tf

        with tf.TemporaryDirectory() as folder:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                archive.extractall(folder)
            frame = geopandas.read_file(next(Path(folder).glob("*.shp")), engine="pyogrio").to_crs(4326)
            shapely.union_all(frame.geometry.values)
        outcome, message = "floor", ""
    else:
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = area_upload_start(
            user=User.objects.get(username="bench-engineer"), system_operator=SystemOperator.objects.get(),
            file=SimpleUploadedFile(Path(path).name, data), filename=Path(path).name,
        )
        del data
        outcome = area_upload_process(upload_id=upload.pk)
        row = AreaUpload.objects.get(pk=upload.pk)
        message = " ".join(m for messages in row.errors.values() for m in messages)
        impact = row.preview.get("impact", {})
        AreaUpload.objects.filter(pk=upload.pk).delete()
    seconds = time.perf_counter() - t
    print(json.dumps({
        "seconds": seconds, "peak_mb": rss_mb(), "baseline_mb": baseline, "outcome": str(outcome),
        "message": message, "entering": impact.get("points_entering") if mode != "floor" else None,
        "leaving": impact.get("points_leaving") if mode != "floor" else None,
    }))


def measure(db: Path, path: Path, mode: str = "upload") -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", str(db), str(path), mode],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(*, points: int, polygons: int, vertices: int, hostile: int, runs: int = 1) -> dict:
    with tempfile.TemporaryDirectory(prefix="area-upload-bench-") as tmp:
        folder = Path(tmp)
        db = folder / "bench.sqlite3"
        benchkit.django_setup(url=f"sqlite:///{db}", migrate=True)
        t = time.perf_counter()
        world_create(points=points)
        national, features = national_zip(polygons=polygons, vertices=vertices, folder=folder)
        bad = hostile_zip(vertices=hostile, folder=folder)
        setup_s = time.perf_counter() - t
        uploads = [measure(db, national) for _ in range(runs)]
        refusals = [measure(db, bad) for _ in range(runs)]
        floors = [measure(db, national, "floor") for _ in range(runs)]
        assert all(u["outcome"] == "ready" for u in uploads), uploads
        assert all(r["outcome"] == "failed" and "vertices" in r["message"] for r in refusals), refusals
        return {
            "points": points, "features": features, "vertices": vertices, "hostile": hostile,
            "national_mb": national.stat().st_size / 1e6, "hostile_mb": bad.stat().st_size / 1e6,
            "setup_s": setup_s, "uploads": uploads, "refusals": refusals, "floors": floors, "runs": runs,
        }


def _median(results: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in results)


def rows(r: dict) -> list[dict]:
    upload_s = [u["seconds"] for u in r["uploads"]]
    peak = [u["peak_mb"] for u in r["uploads"]]
    refusal_s = [x["seconds"] for x in r["refusals"]]
    floor_s = _median(r["floors"], "seconds")
    return [
        benchkit.budget_row(
            what=f"area upload and preview: national file of {r['features']:,} polygons", budget="≤ 30 s",
            unit="s", runs=upload_s, within=statistics.median(upload_s) <= 30, floor=floor_s,
            floor_label="bare geopandas read + shapely.union_all of the same file",
        ),
        benchkit.budget_row(
            what="area upload and preview: peak memory (child process RSS)", budget="≤ 500 MB", unit="MB",
            runs=peak, within=statistics.median(peak) <= 500, floor=_median(r["floors"], "peak_mb"),
            floor_label="peak RSS of the bare read + union",
        ),
        benchkit.budget_row(
            what=f"area upload refused: {r['hostile']:,}-vertex file ({r['hostile_mb']:.2f} MB zip)",
            budget="≤ 5 s", unit="s", runs=refusal_s, within=statistics.median(refusal_s) <= 5,
        ),
    ]


def report(r: dict, *, command: str) -> str:
    up, no, fl = r["uploads"], r["refusals"], r["floors"]
    within = lambda ok: "within" if ok else "OVER"  # noqa: E731
    seconds, peak, base = _median(up, "seconds"), _median(up, "peak_mb"), _median(up, "baseline_mb")
    table = [
        ("upload and preview of the national file (read, check, reproject, union, points and open "
         "cases entering/leaving)", f"**{seconds:.2f} s**; peak RSS **{peak:.0f} MB** "
         f"(+{peak - base:.0f} MB over the process before the upload); "
         f"{up[0]['entering']:,} points enter, {up[0]['leaving']:,} leave",
         f"≤ 30 s ({within(seconds <= 30)}), ≤ 500 MB ({within(peak <= 500)})"),
        (f"refusal of the {r['hostile']:,}-vertex file ({r['hostile_mb']:.2f} MB zip)",
         f"**{_median(no, 'seconds'):.2f} s**; peak RSS {_median(no, 'peak_mb'):.0f} MB "
         f"(+{_median(no, 'peak_mb') - _median(no, 'baseline_mb'):.0f} MB)",
         f"≤ 5 s ({within(_median(no, 'seconds') <= 5)})"),
        ("floor: bare geopandas read + `shapely.union_all` of the national file",
         f"{_median(fl, 'seconds'):.2f} s, peak RSS {_median(fl, 'peak_mb'):.0f} MB", "—"),
        ("**ratio to the floor**", f"**{_median(up, 'seconds') / _median(fl, 'seconds'):.2f}×**", "—"),
    ]
    lines = ["| what | measured | budget |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in table]
    return f"""{MARK_START}
## Observability-area upload (SPEC §7): national file and a hostile one

Command: `{command}` (a quick run: `--preset quick`)

Machine: {machine()}.

Data: the TSO's current area (the extent) and {r["points"]:,} connection points in SQLite; the new
file: {r["features"]:,} local-DSO polygons of ~{r["vertices"]:,} vertices (refdata shape `areas`) as a
zipped Shapefile in EPSG:3006 ({r["national_mb"]:.1f} MB); the hostile file: {r["hostile"]:,} vertices
in a {r["hostile_mb"]:.2f} MB zip. Each upload runs in a fresh process, as the worker runs it
(`area_upload_start` + `area_upload_process`); median of {r["runs"]} run(s).

{chr(10).join(lines)}

The hostile file is refused from the Shapefile's record headers, streamed from the zip before
anything is extracted (`GRIDPREQUAL_AREA_MAX_VERTICES`, default 5,000,000), so memory stays flat.
{MARK_END}
"""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(*argv[1:4])
        return 0
    parser = benchkit.parser(__doc__, presets=PRESETS)
    parser.add_argument("--points", type=int)
    parser.add_argument("--polygons", type=int)
    parser.add_argument("--vertices", type=int, help="vertices per polygon")
    parser.add_argument("--hostile", type=int, help="vertices of the hostile file")
    args = parser.parse_args(argv)
    sizes = dict(PRESETS[args.preset])
    sizes.update({k: v for k in sizes if (v := getattr(args, k)) is not None})
    result = run(**sizes, runs=args.runs)
    command = benchkit.shown_command("area_upload_bench.py", argv, postgres=False)
    benchkit.finish(args, bench="area_upload", command=command, section=report(result, command=command),
                    key=KEY, rows=lambda: rows(result), machine=machine())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Shape "areas": observability-area polygons tiling a Sweden-sized extent, and the operators owning them.

1 TSO outline, 5 regional latitude bands sharing wobbly borders, and local DSO blobs on a grid
(about `vertices` vertices each). Read by the resolver bench (one polygon per operator) and by
the reference data set (each local DSO a multipolygon of a contiguous run of blobs).
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

EXTENT = (11.0, 55.3, 24.0, 69.0)  # lon/lat box of a Sweden-sized grid


def _wobble(t: np.ndarray, *, seed: int, amplitude: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    phases = rng.uniform(0, 2 * np.pi, 3)
    return (
        amplitude
        * (np.sin(7 * t + phases[0]) + 0.5 * np.sin(19 * t + phases[1]) + 0.25 * np.sin(43 * t + phases[2]))
        / 1.75
    )


def make_polygons(*, polygons: int, vertices: int, seed: int = 1):
    """(tier, geometry) pairs: 1 TSO, 5 regional bands, the rest local blobs on a grid."""
    import shapely

    x0, y0, x1, y1 = EXTENT
    out = []
    # TSO: the extent with a wobbly outline.
    t = np.linspace(0, 1, vertices, endpoint=False)
    side = np.minimum(np.floor(t * 4), 3)
    f = t * 4 - side
    xs = np.select(
        [side == 0, side == 1, side == 2, side == 3], [x0 + f * (x1 - x0), x1, x1 - f * (x1 - x0), x0]
    )
    ys = np.select(
        [side == 0, side == 1, side == 2, side == 3], [y0, y0 + f * (y1 - y0), y1, y1 - f * (y1 - y0)]
    )
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    scale = 1 + _wobble(2 * np.pi * t, seed=seed, amplitude=0.01)
    out.append(("tso", shapely.Polygon(np.column_stack([cx + (xs - cx) * scale, cy + (ys - cy) * scale]))))
    # Regional DSOs: 5 latitude bands sharing wobbly borders (so they tile without gaps).
    bands = 5 if polygons > 6 else 1
    half = vertices // 2
    bx = np.linspace(x0 - 0.5, x1 + 0.5, half)
    borders = [np.full(half, y0 - 0.5)]
    for k in range(1, bands):
        base = y0 + k * (y1 - y0) / bands
        borders.append(base + _wobble(bx, seed=seed + k, amplitude=0.3 * (y1 - y0) / bands))
    borders.append(np.full(half, y1 + 0.5))
    for k in range(bands):
        ring = np.concatenate(
            [np.column_stack([bx, borders[k]]), np.column_stack([bx[::-1], borders[k + 1][::-1]])]
        )
        out.append(("regional_dso", shapely.Polygon(ring)))
    # Local DSOs: star-shaped blobs, one per grid cell, slightly overlapping their neighbours.
    n_local = max(polygons - len(out), 0)
    ny = max(1, round(np.sqrt(n_local * (y1 - y0) / (x1 - x0))))
    nx = max(1, int(np.ceil(n_local / ny)))
    w, h = (x1 - x0) / nx, (y1 - y0) / ny
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    rng = np.random.default_rng(seed)
    for i in range(n_local):
        gx, gy = i % nx, i // nx
        cx, cy = x0 + (gx + 0.5) * w, y0 + (gy + 0.5) * h
        radius = 0.62 * (1 + _wobble(angles, seed=int(rng.integers(1 << 30)), amplitude=0.15))
        out.append(
            (
                "local_dso",
                shapely.Polygon(
                    np.column_stack([cx + radius * w * np.cos(angles), cy + radius * h * np.sin(angles)])
                ),
            )
        )
    return out


def areas_store(polygons) -> tuple[list[int], dict[str, list[int]]]:
    """Create operators and one area version each; return SO ids in polygon order."""
    import shapely
    from django.db import transaction

    from accounts.models import Organisation
    from observability.area_geometry import area_km2
    from observability.models import ObservabilityArea, SystemOperator

    valid_from = datetime(2024, 1, 1, tzinfo=UTC)
    so_ids: list[int] = []
    with transaction.atomic():
        orgs = Organisation.objects.bulk_create(
            [
                Organisation(name=f"Bench SO {i:05d}", kind=Organisation.Kind.SYSTEM_OPERATOR)
                for i in range(len(polygons))
            ]
        )
        tso = SystemOperator.objects.create(organisation=orgs[0], tier="tso")
        regionals = [
            SystemOperator.objects.create(organisation=o, tier="regional_dso", upstream=tso)
            for o, (tier, _) in zip(orgs, polygons, strict=True)
            if tier == "regional_dso"
        ]
        locals_ = SystemOperator.objects.bulk_create(
            [
                SystemOperator(organisation=o, tier="local_dso", upstream=regionals[i % len(regionals)])
                for i, (o, (tier, _)) in enumerate(zip(orgs, polygons, strict=True))
                if tier == "local_dso"
            ]
        )
        so_ids = [tso.pk] + [r.pk for r in regionals] + [so.pk for so in locals_]
        rows = []
        for so_id, (_tier, geometry) in zip(so_ids, polygons, strict=True):
            x0, y0, x1, y1 = geometry.bounds
            rows.append(
                ObservabilityArea(
                    system_operator_id=so_id,
                    valid_from=valid_from,
                    geometry_wkb=shapely.to_wkb(geometry),
                    min_lon=x0,
                    min_lat=y0,
                    max_lon=x1,
                    max_lat=y1,
                    area_km2=area_km2(geometry),
                    vertex_count=shapely.get_num_coordinates(geometry),
                    polygon_count=1,
                    source_filename="bench",
                    source_epsg=4326,
                )
            )
        ObservabilityArea.objects.bulk_create(rows, batch_size=200)
    locals_ids = [so.pk for so in locals_]
    return so_ids, {"local": locals_ids}


def reference_areas(*, polygons: int, vertices: int, seed: int, regionals: int, locals_: int):
    """(TSO outline, regional bands, local multipolygons) for the reference data set.

    Each local DSO gets a contiguous run of the grid's blobs (shrunk so neighbours do not overlap,
    which keeps each multipolygon valid). Returns (geometries in SO order, (nx, ny, blobs), cell -> local).
    """
    import shapely
    from shapely import affinity

    made = make_polygons(polygons=max(polygons, 1 + regionals + locals_), vertices=vertices, seed=seed)
    tso = made[0][1]
    bands = [g for tier, g in made if tier == "regional_dso"]
    blobs = [g for tier, g in made if tier == "local_dso"]
    n_local = len(blobs)
    x0, y0, x1, y1 = EXTENT
    ny = max(1, round(np.sqrt(n_local * (y1 - y0) / (x1 - x0))))
    nx = max(1, int(np.ceil(n_local / ny)))
    owner = [i * locals_ // n_local for i in range(n_local)]  # cell -> local index, contiguous runs
    parts: list[list] = [[] for _ in range(locals_)]
    for i, blob in enumerate(blobs):
        gx, gy = i % nx, i // nx
        cx, cy = x0 + (gx + 0.5) * (x1 - x0) / nx, y0 + (gy + 0.5) * (y1 - y0) / ny
        parts[owner[i]].append(affinity.scale(blob, 0.68, 0.68, origin=(cx, cy)))
    multis = []
    for p in parts:
        geometry = shapely.MultiPolygon(p)
        multis.append(geometry if geometry.is_valid else shapely.unary_union(p))
    # make_polygons lists the bands south to north; the regional DSOs are named north to south.
    return [tso, *reversed(bands), *multis], (nx, ny, n_local), owner

"""Shape "reference": SPEC §7's reference data set "Sweden, fully electrified".

1 TSO (Svenska kraftnät), 5 regional and 160 local DSOs (valid EIC codes, the SystemOperator
hierarchy), one observability-area version per operator (shapes/areas.py), FSPs, connection
points (valid GSRN) with one SPU each, and a year of prequalification (shapes/reference_year.py).
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from shapes.areas import EXTENT, reference_areas
from shapes.operators import TSO_EIC, fsps_create, grid_create, products_create, regulator_create
from shapes.rows import POINT_COLUMNS, SPU_COLUMNS, TableWriter, bidding_zone, gsrn_make, next_id

__all__ = ["TSO_EIC", "Reference", "generate"]
REGIONALS, LOCALS = 5, 160
TECHNOLOGIES = ("battery", "ev_charging", "heat_pump", "industrial_load", "solar", "wind", "hydro", "chp")
FLEXIBLE = ("battery", "ev_charging", "heat_pump", "industrial_load")


@dataclass
class Reference:
    """What was generated: counts, and the ids benches pick their personas from."""

    counts: dict = field(default_factory=dict)
    seconds: float = 0.0
    now: datetime | None = None
    tso_id: int = 0
    regional_ids: list[int] = field(default_factory=list)
    local_ids: list[int] = field(default_factory=list)
    engineer_by_so: dict[int, int] = field(default_factory=dict)  # SO id -> user id
    fsp_user_by_fsp: dict[int, int] = field(default_factory=dict)  # FSP id -> user id
    analyst_id: int = 0


@dataclass
class World:
    """What the year is generated on (read by shapes/reference_year.py)."""

    ref: Reference
    rng: random.Random
    bar: object
    grid: object = None
    area_of: dict = field(default_factory=dict)  # SO id -> its area version's id
    products: list = field(default_factory=list)
    rule: object = None
    spu_first: int = 0
    point_local: list[int] = field(default_factory=list)  # point index -> index into grid.locals
    spu_fsp: list[int] = field(default_factory=list)  # point index -> its SPU's FSP id
    counts: dict = field(default_factory=dict)


def generate(
    *, points: int, cases: int, polygons: int, vertices: int, fsps: int, seed: int = 7, progress: bool = True
) -> Reference:
    """Fill the (migrated, empty) database Django is connected to. Returns what was made."""
    from benchkit import analyze
    from django.db import connection
    from django.utils import timezone
    from tqdm import tqdm

    from prequal.services.decision_rollup import decision_rollup_rebuild
    from prequal.services.readers import so_readers_rebuild
    from shapes.reference_year import year_generate

    started = time.perf_counter()
    cases = min(cases, points)
    ref = Reference(now=timezone.now().replace(microsecond=0))
    bar = tqdm(
        total=points * 2 + cases * 9,
        unit="row",
        unit_scale=True,
        disable=not progress,
        desc="reference data",
        file=sys.stderr,
    )
    world = World(ref=ref, rng=random.Random(seed), bar=bar)
    geometries, cells = _operators_and_areas(
        world, polygons=polygons, vertices=vertices, seed=seed, fsps=fsps
    )
    _points_and_spus(world, points=points, cells=cells)
    year_generate(world, points=points, cases=cases)
    bar.set_description("SPEC §4 reader rows")
    so_readers_rebuild()  # the rows were written in bulk, past the services
    bar.set_description("decisions' rollup")
    decision_rollup_rebuild()  # the decisions too
    # VACUUM too, as autovacuum would on a live database: it sets the visibility map the queue's
    # index-only scans rely on, and does not run during the measured requests.
    bar.set_description("VACUUM ANALYZE")
    analyze(vacuum=not connection.in_atomic_block)  # VACUUM cannot run in a transaction (a test's)
    bar.close()
    ref.counts = _counts(world, geometries=geometries, points=points)
    ref.seconds = time.perf_counter() - started
    return ref


def _operators_and_areas(world: World, *, polygons: int, vertices: int, seed: int, fsps: int):
    """Operators, areas, FSPs, products, people: small, through the ORM."""
    import shapely
    from django.db import transaction

    geometries, (nx, ny, n_local), owner = reference_areas(
        polygons=polygons, vertices=vertices, seed=seed, regionals=REGIONALS, locals_=LOCALS
    )
    # A local DSO subscribes to the regional band its first grid cell's centre lies in.
    first_cell: dict[int, int] = {}
    for cell, local in enumerate(owner):
        first_cell.setdefault(local, cell)

    def upstream(k: int) -> int:
        band = min(REGIONALS - 1, int((first_cell.get(k, 0) // nx + 0.5) / ny * REGIONALS))
        return REGIONALS - 1 - band

    ref = world.ref
    with transaction.atomic():
        world.grid = grid = grid_create(regionals=REGIONALS, locals_=LOCALS, upstream=upstream)
        ref.tso_id, ref.regional_ids = grid.tso.pk, [r.pk for r in grid.regionals]
        ref.local_ids = [s.pk for s in grid.locals]
        world.area_of = _areas_store(grid.all, geometries, valid_from=ref.now - timedelta(days=395))
        fsp_rows = fsps_create(fsps)
        world.products = products_create(procuring_so=grid.tso)
        _people(world, fsp_rows)
        world.rule = _deadline_rule()
    world.counts |= {
        "observability_areas": len(world.area_of),
        "fsps": len(fsp_rows),
        "products": len(world.products),
    }
    polygons_ = int(sum(shapely.get_num_geometries(g) for g in geometries))
    world.counts["area_polygons"] = polygons_
    return geometries, ((nx, ny, n_local), owner)


def _areas_store(operators, geometries, *, valid_from) -> dict[int, int]:
    import shapely

    from observability.area_geometry import area_km2
    from observability.models import ObservabilityArea

    areas = ObservabilityArea.objects.bulk_create(
        [
            ObservabilityArea(
                system_operator=so,
                valid_from=valid_from,
                geometry_wkb=shapely.to_wkb(g),
                min_lon=g.bounds[0],
                min_lat=g.bounds[1],
                max_lon=g.bounds[2],
                max_lat=g.bounds[3],
                area_km2=area_km2(g),
                vertex_count=shapely.get_num_coordinates(g),
                polygon_count=shapely.get_num_geometries(g),
                source_filename="reference.gpkg",
                source_epsg=4326,
            )
            for so, g in zip(operators, geometries, strict=True)
        ],
        batch_size=100,
    )
    return {a.system_operator_id: a.pk for a in areas}


def _people(world: World, fsp_rows) -> None:
    """An engineer at every operator, a trader at every FSP, an analyst at the regulator."""
    from accounts.models import Membership, User

    people = [
        (
            User(
                username=f"eng-{so.pk}",
                first_name="Engineer",
                last_name=str(so.pk),
                email=f"eng-{so.pk}@example.se",
            ),
            so.organisation,
            "so_engineer",
        )
        for so in world.grid.all
    ]
    people += [
        (
            User(
                username=f"fsp-{fsp.pk}",
                first_name="Trader",
                last_name=str(fsp.pk),
                email=f"fsp-{fsp.pk}@example.se",
            ),
            fsp.organisation,
            "fsp_user",
        )
        for fsp in fsp_rows
    ]
    people.append((User(username="nra-analyst", email="nra@example.se"), regulator_create(), "nra_analyst"))
    for user, _org, _role in people:
        user.set_unusable_password()
    made = User.objects.bulk_create([u for u, _o, _r in people])
    Membership.objects.bulk_create(
        [
            Membership(user=u, organisation=org, role=role)
            for u, (_u, org, role) in zip(made, people, strict=True)
        ]
    )
    ref = world.ref
    for u, (_u, org, role) in zip(made, people, strict=True):
        if role == "so_engineer":
            ref.engineer_by_so[org.system_operator.pk] = u.pk
        elif role == "fsp_user":
            ref.fsp_user_by_fsp[org.fsp.pk] = u.pk
        else:
            ref.analyst_id = u.pk
    world.counts["users"] = len(made)


def _deadline_rule():
    from prequal.models import DeadlineRule

    rule = DeadlineRule.objects.filter(jurisdiction__in=["SE", ""]).order_by("-jurisdiction", "valid_from")
    return rule.first() or DeadlineRule.objects.create(
        name="SO GL", legal_basis="SO GL Art. 182", valid_from=datetime(2020, 1, 1, tzinfo=UTC)
    )


def _points_and_spus(world: World, *, points: int, cells) -> None:
    """Connection points and SPUs: one SPU behind each point."""
    from django.db import transaction

    from observability.models import ConnectionPoint
    from prequal.models import Spu

    cp_first, world.spu_first = next_id(ConnectionPoint), next_id(Spu)
    created = world.ref.now - timedelta(days=765)
    with transaction.atomic():
        TableWriter(ConnectionPoint, POINT_COLUMNS).write(
            _point_rows(world, points=points, cells=cells, cp_first=cp_first, created=created))
    with transaction.atomic():
        rows = _spu_rows(world, points=points, cp_first=cp_first, created=created)
        TableWriter(Spu, SPU_COLUMNS).write(rows)


def _point_rows(world: World, *, points: int, cells, cp_first: int, created):
    """Uniform over the extent; each point's connecting SO is the local DSO owning its grid cell."""
    (nx, ny, n_local), owner = cells
    rng, local_so = world.rng, world.grid.locals
    x0, y0, x1, y1 = EXTENT
    w, h = (x1 - x0) / nx, (y1 - y0) / ny
    for i in range(points):
        lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
        cell = min(int((lat - y0) / h), ny - 1) * nx + min(int((lon - x0) / w), nx - 1)
        local = owner[min(cell, n_local - 1)]
        world.point_local.append(local)
        voltage = "lv" if i % 20 else ("mv" if i % 100 else "hv")
        yield (cp_first + i, gsrn_make(i + 1), local_so[local].pk, round(lat, 6), round(lon, 6), voltage,
               bidding_zone(lat), created, created)
        world.bar.update()


def _spu_rows(world: World, *, points: int, cp_first: int, created):
    rng, fsp_ids = world.rng, sorted(world.ref.fsp_user_by_fsp)
    for i in range(points):
        fsp = fsp_ids[
            min(int(rng.paretovariate(1.2)) - 1, len(fsp_ids) - 1)
            if i % 3 == 0
            else rng.randrange(len(fsp_ids))
        ]
        world.spu_fsp.append(fsp)
        tech = TECHNOLOGIES[i % len(TECHNOLOGIES)]
        up = Decimal(rng.choice((5, 11, 22, 50, 150, 500, 1500, 5000)))
        down = up if tech in FLEXIBLE else Decimal(0)
        yield (
            world.spu_first + i,
            fsp,
            cp_first + i,
            f"SPU-{i + 1:07d}",
            f"{tech.replace('_', ' ').title()} {i + 1}",
            tech,
            up,
            down,
            True,
            created,
            created,
        )
        world.bar.update()


def _counts(world: World, *, geometries, points: int) -> dict:
    import shapely

    from observability.models import SystemOperator

    c = world.counts
    return {
        "system_operators": SystemOperator.objects.count(),
        "observability_areas": c["observability_areas"],
        "area_polygons": c["area_polygons"],
        "area_vertices": int(sum(shapely.get_num_coordinates(g) for g in geometries)),
        "fsps": c["fsps"],
        "products": c["products"],
        "users": c["users"],
        "connection_points": points,
        "spus": points,
        **{
            k: c[k]
            for k in ("cases", "assessments", "open_assessments", "conditions", "refusals", "case_events")
        },
    }

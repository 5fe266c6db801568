"""Shape "activation": decided SPUs and SPGs with conditions and temporary limits, for the activation check.

SPUs at their own connection points, SPGs of `members` SPUs each, decided cases (SPG cases for
most groups, SPU cases for the rest) with conditions (caps, or caps in a local-time window), and
temporary limits over one week (50 % on SPUs, 25 % on points, 15 % on SPGs, 10 % area boxes);
a market platform client with a known token asks.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from shapes.operators import MFRR_ENERGY, fsps_create, grid_create, products_create
from shapes.rows import gsrn_make

T0 = datetime(2030, 6, 3, 0, 0, tzinfo=UTC)  # a Monday; limits and checks fall in the week after
EXTENT = (11.0, 55.3, 24.0, 69.0)
TOKEN = "0123456789abcdef0123456789abcdef01234567"  # the bench platform's token (40 hex chars)
PRODUCT = MFRR_ENERGY[0]


def generate(*, spus: int, spgs: int, members: int, cases: int, limits: int, seed: int = 7) -> dict:
    """The data set, by bulk_create. Returns ids to draw requests from and the counts."""
    from benchkit import analyze
    from django.db import transaction

    from prequal.services.decision_rollup import decision_rollup_rebuild

    rng = random.Random(seed)
    started = time.perf_counter()
    with transaction.atomic():
        grid = grid_create(upstream=lambda k: (k + 1) % 5)
        fsps = fsps_create(20)
        product = products_create(procuring_so=grid.tso, specs=[MFRR_ENERGY])[0]
        points, units = _units(spus, grid=grid, fsps=fsps, rng=rng)
        groups, memberships = _groups(spgs, members=members, fsps=fsps, units=units)
        case_rows, assessments, conditions = _decided(
            cases, groups=groups, units=units, product=product, grid=grid, rng=rng
        )
        rows = _limits(limits, grid=grid, units=units, points=points, groups=groups, rng=rng)
        _platform_client(registered_for=grid.tso)
        decision_rollup_rebuild()  # the decisions were written in bulk, past the services
    analyze(vacuum=True)  # VACUUM too: otherwise autovacuum does it during the measured runs
    return {
        "seconds": time.perf_counter() - started,
        "so_eic": grid.tso.organisation.eic_code,
        "spu_ids": [u.pk for u in units],
        "spu_case_ids": [c.spu_id for c in case_rows if c.spu_id],
        "spg_ids": [g.pk for g in groups],
        "spg_case_ids": [c.spg_id for c in case_rows if c.spg_id],
        "counts": {
            "system operators": len(grid.all),
            "connection points": len(points),
            "SPUs": len(units),
            "SPGs": len(groups),
            "SPG memberships": len(memberships),
            "decided cases": len(case_rows),
            "assessments": len(assessments),
            "conditions": len(conditions),
            "temporary limits": len(rows),
        },
    }


def _units(spus: int, *, grid, fsps, rng) -> tuple[list, list]:
    from observability.models import ConnectionPoint
    from prequal.models import Spu

    x0, y0, x1, y1 = EXTENT
    points = ConnectionPoint.objects.bulk_create(
        [
            ConnectionPoint(
                gsrn=gsrn_make(i, prefix="73599"),
                connecting_so=grid.locals[i % len(grid.locals)],
                latitude=rng.uniform(y0, y1),
                longitude=rng.uniform(x0, x1),
                voltage_level="lv",
                bidding_zone="SE3",
            )
            for i in range(spus)
        ],
        batch_size=5000,
    )
    units = Spu.objects.bulk_create(
        [
            Spu(
                fsp=fsps[i % len(fsps)],
                connection_point=points[i],
                code=f"SPU-{i:07d}",
                name=f"Unit {i}",
                technology="battery",
                max_up_kw=Decimal(rng.choice([500, 1000, 2000, 5000])),
                max_down_kw=Decimal(rng.choice([250, 500, 1000, 2000])),
            )
            for i in range(spus)
        ],
        batch_size=5000,
    )
    return points, units


def _groups(spgs: int, *, members: int, fsps, units) -> tuple[list, list]:
    from prequal.models import Spg, SpgMembership

    groups = Spg.objects.bulk_create(
        [
            Spg(fsp=fsps[i % len(fsps)], code=f"SPG-{i:06d}", name=f"Group {i}", bidding_zone="SE3")
            for i in range(spgs)
        ],
        batch_size=5000,
    )
    memberships = []
    n = len(fsps)
    for g, spg in enumerate(groups):
        # The next `members` units of the group's FSP (units are dealt to FSPs in turn).
        f, k = g % n, g // n
        picks = range(f + n * k * members, f + n * (k + 1) * members, n)
        memberships += [
            SpgMembership(spg=spg, spu=units[i], valid_from=T0 - timedelta(days=365))
            for i in picks
            if i < len(units)
        ]
    SpgMembership.objects.bulk_create(memberships, batch_size=5000)
    return groups, memberships


def _decided(cases: int, *, groups, units, product, grid, rng) -> tuple[list, list, list]:
    """Decided cases: SPG cases for most groups, SPU cases for the rest of the budget."""
    from prequal.models import Assessment, Case

    spg_cases = min(len(groups), cases // 10)
    decided_at = T0 - timedelta(days=100)
    outcomes = ["approved"] * 7 + ["conditionally_approved"] * 2 + ["not_approved"]
    common = {
        "product": product,
        "round": 1,
        "submitted_at": decided_at,
        "decided_at": decided_at,
        "valid_until": T0 + timedelta(days=1500),
    }
    case_rows = [
        Case(fsp_id=groups[i].fsp_id, spg=groups[i], status=rng.choice(outcomes), **common)
        for i in range(spg_cases)
    ]
    case_rows += [
        Case(fsp_id=units[i].fsp_id, spu=units[i], status=rng.choice(outcomes), **common)
        for i in range(cases - spg_cases)
    ]
    case_rows = Case.objects.bulk_create(case_rows, batch_size=5000)
    assessments = Assessment.objects.bulk_create(
        [
            Assessment(
                case=c,
                round=1,
                system_operator=grid.locals[c.pk % len(grid.locals)],
                status=c.status,
                reasons=["connecting"],
                decided_at=decided_at,
            )
            for c in case_rows
        ],
        batch_size=5000,
    )
    return case_rows, assessments, _conditions(assessments, rng=rng)


def _conditions(assessments, *, rng) -> list:
    from prequal.models import Condition

    conditions = []
    for a in assessments:
        if a.status != "conditionally_approved":
            continue
        if rng.random() < 0.5:
            conditions.append(Condition(assessment=a, max_up_mw=Decimal(rng.choice([0.2, 0.5, 1]))))
        else:
            conditions.append(
                Condition(
                    assessment=a,
                    max_up_mw=Decimal("0.3"),
                    weekdays=[0, 1, 2, 3, 4],
                    start_time="07:00",
                    end_time="09:00",
                    months=[1, 2, 6, 12],
                )
            )
    Condition.objects.bulk_create(conditions, batch_size=5000)
    return conditions


def _limits(limits: int, *, grid, units, points, groups, rng) -> list:
    """Temporary limits: half on SPUs, a quarter on points, 15 % on SPGs, 10 % area boxes."""
    from accounts.models import User
    from limits.models import TargetKind, TemporaryLimit

    engineer = User.objects.create(username="bench-engineer")
    rows = []
    for i in range(limits):
        start = T0 + timedelta(minutes=15 * rng.randrange(7 * 96))
        end = start + timedelta(minutes=15 * rng.randrange(4, 96))
        common = {
            "system_operator": grid.locals[i % len(grid.locals)],
            "direction": rng.choice(["up", "down", "both"]),
            "quantity_mw": Decimal(rng.choice([0, 0.1, 0.3, 0.5, 1])),
            "start": start,
            "end": end,
            "reason": "bench",
            "created_by": engineer,
            "latest_allowed_at": start - timedelta(hours=2),
        }
        roll = rng.random()
        if roll < 0.5:
            rows.append(TemporaryLimit(target_kind=TargetKind.SPU, spu=rng.choice(units), **common))
        elif roll < 0.75:
            rows.append(
                TemporaryLimit(
                    target_kind=TargetKind.CONNECTION_POINT, connection_point=rng.choice(points), **common
                )
            )
        elif roll < 0.9 and groups:
            rows.append(TemporaryLimit(target_kind=TargetKind.SPG, spg=rng.choice(groups), **common))
        else:
            rows.append(
                TemporaryLimit(
                    target_kind=TargetKind.AREA, **_area_box(rng.choice(points), rng=rng), **common
                )
            )
    TemporaryLimit.objects.bulk_create(rows, batch_size=5000)
    return rows


def _area_box(p, *, rng) -> dict:
    half = rng.uniform(0.02, 0.15)
    minx, miny, maxx, maxy = (
        p.longitude - half,
        p.latitude - half / 2,
        p.longitude + half,
        p.latitude + half / 2,
    )
    ring = [[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]
    return {
        "area_geojson": json.dumps({"type": "Polygon", "coordinates": [ring]}),
        "min_lon": minx,
        "min_lat": miny,
        "max_lon": maxx,
        "max_lat": maxy,
    }


def _platform_client(*, registered_for) -> None:
    """The market platform client the benchmark asks as, registered for the procuring TSO."""
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from limits.models import MarketPlatformClient

    platform_user = User.objects.create(username="bench-platform")
    client = MarketPlatformClient.objects.create(user=platform_user, name="Bench platform")
    client.system_operators.add(registered_for)
    Token.objects.create(user=platform_user, key=TOKEN)

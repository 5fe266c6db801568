"""Shape "backlog": cases under assessment whose deadlines have all passed, for the deadline sweep.

`spus` SPUs at 160 local DSOs (under one regional DSO and the TSO) applying for four products,
each case assessed by its local DSO and the TSO: 8 × `spus` pending assessments whose deadline
passed the day before NOW.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from shapes.operators import fsps_create, grid_create, products_create
from shapes.rows import gsrn_make

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)


def generate(*, spus: int) -> dict:
    """Bulk-insert the backlog into the (migrated, empty) database. Returns its counts."""
    from django.db import transaction

    from observability.models import ConnectionPoint
    from prequal.models import DeadlineRule, Spu

    with transaction.atomic():
        grid = grid_create(regionals=1)
        fsp = fsps_create(1)[0]
        products = products_create(procuring_so=grid.tso)
        points = ConnectionPoint.objects.bulk_create(
            [
                ConnectionPoint(
                    gsrn=gsrn_make(i, prefix="73599"),
                    connecting_so=grid.locals[i % 160],
                    latitude=59.0,
                    longitude=18.0,
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
                    fsp=fsp,
                    connection_point=point,
                    code=f"SPU-{i:06d}",
                    name=f"Unit {i}",
                    technology="battery",
                    max_up_kw=Decimal("100"),
                    max_down_kw=Decimal("100"),
                )
                for i, point in enumerate(points)
            ],
            batch_size=5000,
        )
        local_of = {unit.pk: point.connecting_so_id for unit, point in zip(units, points, strict=True)}
        cases = _due_cases(
            units,
            fsp=fsp,
            products=products,
            tso=grid.tso,
            local_of=local_of,
            rule=DeadlineRule.objects.get(jurisdiction=""),
        )
    return {"cases": cases, "assessments": 2 * cases, "operators": len(grid.all)}


def _due_cases(units, *, fsp, products, tso, local_of, rule) -> int:
    from prequal.models import Assessment, Case

    submitted = NOW - timedelta(days=100)
    cases = Case.objects.bulk_create(
        [
            Case(
                fsp=fsp, spu=unit, product=product, status="under_assessment", round=1, submitted_at=submitted
            )
            for unit in units
            for product in products
        ],
        batch_size=5000,
    )
    Assessment.objects.bulk_create(
        [
            Assessment(
                case=case,
                round=1,
                system_operator_id=so_id,
                reasons=[reason],
                status="pending",
                deadline=NOW - timedelta(days=1),
                deadline_rule=rule,
                clock_started_at=submitted,
            )
            for case in cases
            for so_id, reason in ((local_of[case.spu_id], "connecting"), (tso.pk, "procuring"))
        ],
        batch_size=5000,
    )
    return len(cases)

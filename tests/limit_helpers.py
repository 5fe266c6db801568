"""Helpers of the limit and activation-check tests on the grid world (tests/grid.py): publish a
limit, ask the check, build API bodies. Limits start at START, published the day before (NOW)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import time_machine

from limits.activation import activation_check
from limits.models import TargetKind
from limits.services import limit_create
from prequal.models import Direction

START = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)  # 14:00 CEST
END = START + timedelta(hours=4)
NOW = START - timedelta(days=1)


def a_limit(grid, spu=None, **kwargs):
    """A 0.5 MW up limit on `spu` (default grid.spu) for two hours from START, published at NOW."""
    with time_machine.travel(NOW, tick=False):
        return limit_create(
            user=grid.cast.local_engineer,
            system_operator=grid.cast.local,
            target_kind=TargetKind.SPU,
            spu=spu or grid.spu,
            direction=Direction.UP,
            quantity_mw=Decimal("0.5"),
            start=START,
            end=START + timedelta(hours=2),
            reason="Maintenance",
            **kwargs,
        )


def check_body(grid, **overrides):
    data = {
        "system_operator": grid.cast.tso.organisation.eic_code,
        "spu": grid.spu.pk,
        "product": "mfrr-energy",
        "direction": "up",
        "quantity_mw": "0.5",
        "start": START.isoformat(),
        "end": (START + timedelta(hours=1)).isoformat(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def create(grid, *, user=None, so=None, at=None, **overrides):
    kwargs = {
        "user": user or grid.cast.local_engineer,
        "system_operator": so or grid.cast.local,
        "target_kind": TargetKind.SPU,
        "spu": grid.spu,
        "direction": Direction.UP,
        "quantity_mw": Decimal("0.5"),
        "start": START,
        "end": END,
        "reason": "Transformer maintenance",
    }
    kwargs.update(overrides)
    with time_machine.travel(at or START - timedelta(days=1), tick=False):
        return limit_create(**kwargs)


def check(
    grid, resource=None, *, product=None, direction=Direction.UP, quantity="0.5", start=START, end=None
):
    return activation_check(
        system_operator=grid.cast.tso,
        resource=resource or grid.spu,
        product=product or grid.mfrr,
        direction=direction,
        quantity_mw=Decimal(quantity),
        start=start,
        end=end or start + timedelta(hours=1),
    )


def limit(
    grid,
    *,
    quantity,
    target_kind=TargetKind.SPU,
    start=START - timedelta(hours=1),
    end=START + timedelta(hours=3),
    direction=Direction.UP,
    **target,
):
    if target_kind == TargetKind.SPU and not target:
        target = {"spu": grid.spu}
    with time_machine.travel(start - timedelta(days=1), tick=False):
        return limit_create(
            user=grid.cast.local_engineer,
            system_operator=grid.cast.local,
            target_kind=target_kind,
            direction=direction,
            quantity_mw=Decimal(quantity),
            start=start,
            end=end,
            reason="Maintenance",
            **target,
        )


def conditional(grid, **condition):
    return grid.prequalify(spu=grid.spu, conditions_by_so={grid.cast.local.pk: [condition]})


def limit_body(grid, **overrides):
    """An API body for a 0.5 MW up limit on grid.spu for two hours from START; None drops a field."""
    data = {
        "target_kind": "spu",
        "spu": grid.spu.pk,
        "direction": "up",
        "quantity_mw": "0.5",
        "start": START.isoformat(),
        "end": (START + timedelta(hours=2)).isoformat(),
        "reason": "Maintenance",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def check_page_query(grid, *, so) -> dict:
    """The activation-check page's query for grid.spu: 0.8 MW up for mFRR energy, asked as `so`,
    14:30–15:00 local time on START's day (in the limit of a_limit)."""
    return {
        "system_operator": so.pk,
        "resource_kind": "spu",
        "resource_id": grid.spu.pk,
        "product": "mfrr-energy",
        "direction": "up",
        "quantity_mw": "0.8",
        "start": "2027-06-01T14:30",
        "end": "2027-06-01T15:00",
    }

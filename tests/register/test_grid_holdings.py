"""My grid's holdings (register.services.grid_holdings, issue 14): after random writes (awards,
activations, revisions, cancellations, changes of who reads a unit, the retention) the rows are
exactly the rule computed from the records and reader rows, the map's ranking and the units
holding something read from them equal those computed from the records, for every operator and
windows across record edges and a daylight-saving change; a rebuild makes the same rows."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from django.test.utils import override_settings

from prequal.models import Spu
from prequal.models.readers import SpuReader
from prequal.services.readers import resource_readers_refresh
from register.models import GridHolding, RecordRevision, RecordStatus
from register.selectors_grid import (
    LAST_30,
    NEXT_48,
    Window,
    _held,
    grid_points,
    grid_points_from_records,
    grid_units,
    grid_window,
)
from register.services.grid_holdings import grid_holdings_rebuild
from register.services.retention import register_retention_run
from tests.register.helpers import DST_START, iso, random_records, records_send


def _rows() -> set[tuple]:
    return set(GridHolding.objects.values_list(
        "system_operator_id", "record_id", "spu_id", "connection_point_id", "quantity_mw", "period_start",
        "period_end",
    ))


def _rule() -> set[tuple]:
    """The rule, from the records and the reader rows: one row per reader of the unit of each
    current, active record on an SPU."""
    readers: dict[int, list[tuple[int, int]]] = {}
    for spu_id, so_id, point_id in SpuReader.objects.values_list("spu_id", "system_operator_id",
                                                                 "connection_point_id"):
        readers.setdefault(spu_id, []).append((so_id, point_id))
    current = RecordRevision.objects.filter(is_current=True, status=RecordStatus.ACTIVE, spu__isnull=False)
    return {
        (so_id, record_id, spu_id, point_id, mw, start, end)
        for record_id, spu_id, mw, start, end in current.values_list(
            "record_id", "spu_id", "quantity_mw", "period_start", "period_end")
        for so_id, point_id in readers.get(spu_id, ())
    }


def _windows(records: list[dict]) -> list[Window]:
    """Both periods at several moments, and windows starting and ending exactly on records' edges."""
    windows = [grid_window(period=period, now=DST_START + timedelta(hours=h, minutes=m))
               for period in (NEXT_48, LAST_30) for h, m in ((-2, 7), (5, 0), (19, 59), (22, 30), (60, 0))]
    for r in records[:6]:
        start, end = datetime.fromisoformat(r["start"]), datetime.fromisoformat(r["end"])
        windows += [Window(NEXT_48, end, end + timedelta(hours=48), timedelta(minutes=15)),
                    Window(NEXT_48, start - timedelta(hours=48), start, timedelta(minutes=15))]
    return windows


def _assert_same(world, records: list[dict]) -> None:
    assert _rows() == _rule()
    shown = 0
    for so in (world.cast.local, world.cast.other_local, world.cast.tso):
        for window in _windows(records):
            # SQLite sums MW as floats: compared to the thousandth, as the MW are given.
            ranked = [(found["point"].pk, round(found["mw"], 6))
                      for found in grid_points(system_operator=so, window=window)]
            direct = [(pk, round(mw, 6))
                      for pk, mw in grid_points_from_records(system_operator=so, window=window)]
            assert ranked == direct, (so, window)
            shown += len(ranked)
            units = grid_units(system_operator=so, held_only=True, window=window)
            held = set(units.values_list("pk", flat=True))
            assert held == set(_held(so_id=so.pk, window=window).values_list("spu_id", flat=True))
    assert shown  # the windows do meet the records


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_holdings_are_the_records_through_every_write(world, seed):
    rng = random.Random(seed)
    records = random_records(world, rng, f"s{seed}", 30)
    records_send(world, records)
    assert GridHolding.objects.filter(system_operator=world.cast.local).exists()
    _assert_same(world, records)

    # Revised: other MW, some moved two hours later, some onto the other unit (a 15-minute one).
    revised = [dict(r, quantity_mw=f"{rng.randint(1, 9) / 1000:.3f}", revise=True)
               for r in rng.sample(records, 12)]
    for r in revised[::2]:
        later = [datetime.fromisoformat(r[k]) + timedelta(hours=2) for k in ("start", "end")]
        r.update(start=iso(later[0]), end=iso(later[1]))
    for r in revised[1::3]:
        if r["product"] == world.mfrr.code:
            other = world.registry["spu_b"] if r.get("spu") == world.spu.pk else world.spu
            r.update(spu=other.pk, spg=None)
    records_send(world, [{k: v for k, v in r.items() if v is not None} for r in revised])
    records_send(world, rng.sample(records, 8), cancel=True)
    _assert_same(world, records)

    # SPU A-1 moves to the other local DSO's point: its readers change.
    spu = world.spu
    former = spu.connection_point_id
    Spu.objects.filter(pk=spu.pk).update(connection_point=world.registry["spu_b"].connection_point)
    resource_readers_refresh(spu_ids=[spu.pk], former_point_ids=[former])
    _assert_same(world, records)

    incremental = _rows()
    grid_holdings_rebuild()
    assert _rows() == incremental

    # The retention removes the records starting before its cut-off, in the middle of the records.
    cutoff = DST_START + timedelta(hours=rng.randint(4, 30), minutes=rng.choice((0, 7, 15)))
    with override_settings(GRIDPREQUAL_REGISTER_RETENTION_DAYS=400):
        register_retention_run(now=cutoff + timedelta(days=400))
    assert not GridHolding.objects.filter(period_start__lt=cutoff).exists()
    assert GridHolding.objects.exists()
    _assert_same(world, records)

"""My grid's summary (register.services.grid_slots, issue 14): the chart read from GridSlot gives
the same figures as the chart computed from the records, for every operator and both periods,
after ingests, revisions, cancellations and changes of who reads a resource; a rebuild from the
records makes the same rows; two writers adding to one slot both count (PostgreSQL)."""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import close_old_connections, transaction

from prequal.models import Spu
from prequal.services.readers import resource_readers_refresh
from register.models import GridSlot
from register.selectors_grid import LAST_30, NEXT_48, grid_chart, grid_chart_from_records, grid_window
from register.services import records_cancel, records_ingest
from register.services.grid_slots import grid_slots_add, grid_slots_rebuild, slots_spread
from tests.factories import SpgMembershipFactory
from tests.register.helpers import START, iso, rec

NOW = START - timedelta(hours=2)


def _records(world, seed: int, n: int) -> list[dict]:
    """Random-ish but fixed records on SPU A-1 and SPG GA: awards up and down, activations up,
    both products (15- and 60-minute units), 0.005–0.030 MW (never a double activation)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        hourly = rng.random() < 0.3
        product = world.local_product if hourly else world.mfrr
        unit = 60 if hourly else 15
        at = START + timedelta(minutes=unit * rng.randrange(0, 40 * 60 // unit))
        kind = rng.choice(("award", "activation"))
        resource = {"spg": world.spg.pk, "spu": None} if rng.random() < 0.3 else {}
        out.append(rec(
            world, f"s{seed}-{i}", at=at, hours=unit * rng.randint(1, 6) / 60, kind=kind,
            product=product.code, direction="up" if kind == "activation" else rng.choice(("up", "down")),
            quantity_mw=f"{rng.randint(5, 30) / 1000:.3f}", **resource,
        ))
    return out


def _later(moment: str) -> str:
    return iso(datetime.fromisoformat(moment) + timedelta(hours=2))


def _ingest(world, records: list[dict]) -> None:
    """Send each record by the platform registered for its product's operator."""
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        for caller, so, code in ((world.nordic, world.cast.tso, world.mfrr.code),
                                 (world.flex, world.cast.local, world.local_product.code)):
            mine = [r for r in records if r["product"] == code]
            if mine:
                records_ingest(caller=caller, system_operator=so, records=mine)


def _assert_same_figures(world) -> None:
    cast = world.cast
    for so in (cast.local, cast.other_local, cast.tso):
        for period, now in ((NEXT_48, NOW), (LAST_30, START + timedelta(days=3))):
            window = grid_window(period=period, now=now)
            summary = grid_chart(system_operator=so, window=window)
            records = grid_chart_from_records(system_operator=so, window=window)
            assert summary.keys() == records.keys()
            for key in summary:
                assert summary[key] == pytest.approx(records[key], abs=1e-9), (so, period, key)


def _rows() -> set[tuple]:
    return set(GridSlot.objects.exclude(kw_minutes=0).values_list(
        "system_operator_id", "slot", "kind", "direction", "kw_minutes"
    ))


def test_the_summary_gives_the_records_figures_through_revisions_cancellations_and_reader_changes(world):
    records = _records(world, 1, 40)
    _ingest(world, records)
    assert GridSlot.objects.filter(system_operator=world.cast.local).exclude(kw_minutes=0).exists()
    _assert_same_figures(world)

    # Revised: other MW, and every other one moved two hours later.
    revised = [dict(r, quantity_mw="0.011", revise=True) for r in records[::3]]
    for r in revised[::2]:
        r.update(start=_later(r["start"]), end=_later(r["end"]))
    _ingest(world, revised)
    with time_machine.travel(NOW - timedelta(minutes=30), tick=False):
        for caller, so, code in ((world.nordic, world.cast.tso, world.mfrr.code),
                                 (world.flex, world.cast.local, world.local_product.code)):
            ids = [r["external_id"] for r in records[1::4] if r["product"] == code]
            records_cancel(caller=caller, system_operator=so, external_ids=ids)
    _assert_same_figures(world)

    # FSP B's unit joins group GA: the other local DSO now reads GA (a member on its grid).
    SpgMembershipFactory(spg=world.spg, spu=world.registry["spu_b"])
    # SPU A-1 moves to the other local DSO's point.
    spu = world.spu
    former = spu.connection_point_id
    Spu.objects.filter(pk=spu.pk).update(connection_point=world.registry["spu_b"].connection_point)
    resource_readers_refresh(spu_ids=[spu.pk], former_point_ids=[former])
    _assert_same_figures(world)

    incremental = _rows()
    grid_slots_rebuild()
    assert _rows() == incremental


def test_a_record_both_ways_counts_in_each_direction_and_slots_are_cut_exactly():
    start = START + timedelta(minutes=5)
    deltas = slots_spread([(7, "award", "both", "1.5", start, start + timedelta(minutes=20))])
    first, second = int(START.timestamp()), int(START.timestamp()) + 900
    assert dict(deltas) == {
        (7, first, "award", "up"): 1500 * 10, (7, first, "award", "down"): 1500 * 10,
        (7, second, "award", "up"): 1500 * 10, (7, second, "award", "down"): 1500 * 10,
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_writers_adding_to_one_slot_both_count(cast):
    so = cast.local
    key = (so.pk, int(START.timestamp()), "award", "up")
    barrier = threading.Barrier(2)
    errors = []

    def add(value: int) -> None:
        try:
            with transaction.atomic():
                barrier.wait(timeout=10)
                grid_slots_add({key: value, (so.pk, key[1] + 900, "award", "up"): value})
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=add, args=(v,)) for v in (100, 23)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    added = GridSlot.objects.filter(system_operator=so).values_list("kw_minutes", flat=True)
    assert sorted(added) == [123, 123]


def test_the_rebuild_command_makes_the_rows_again(world):
    _ingest(world, _records(world, 2, 12))
    kept = _rows()
    GridSlot.objects.all().delete()
    out = StringIO()
    call_command("register_grid_slots_rebuild", "--dry-run", stdout=out)
    assert "Would read 12 current revision(s); 0 slot row(s) now." in out.getvalue()
    assert _rows() == set()
    call_command("register_grid_slots_rebuild", stdout=out)
    assert _rows() == kept and kept


def test_a_rebuild_counts_a_record_both_ways_in_each_direction_as_the_writes_do(world):
    # On PostgreSQL the rebuild spreads in SQL (a second route of slots_spread's rule).
    _ingest(world, [rec(world, "both", direction="both", quantity_mw="0.125",
                        at=START + timedelta(minutes=15), hours=0.75)])
    incremental = _rows()
    assert {row[3] for row in incremental} == {"up", "down"}

    grid_slots_rebuild()

    assert _rows() == incremental

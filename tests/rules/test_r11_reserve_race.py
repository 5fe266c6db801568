"""R11 Reserve under concurrency (PostgreSQL): two platforms reserve the last MW of an area's
headroom at once, for two different SPUs; exactly one gets it. The same for two batches sent to
the register at once (its guard takes the same locks).

The first reservation to hold the area limit's advisory lock is held up after reading what the
area holds until the other one is seen waiting for a lock. Without the lock (the control test)
both read the same headroom and both win: the test can tell.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from shapely.geometry import box, mapping

from limits.activation import double as double_module
from limits.activation import headroom as headroom_module
from limits.activation import headroom_guard as guard_module
from limits.activation.access import activation_caller
from limits.activation.reserve import activation_reserve
from limits.models import TargetKind
from prequal.models import Direction
from register import sum_guard
from register.models import RecordRevision, RegisterConflict
from register.services import RecordsRefused, records_ingest
from tests.limit_helpers import START, limit
from tests.register.helpers import iso, platform
from tests.services import until_a_session_waits
from tests.workflow_helpers import ensure_default_deadline_rule

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(grid, monkeypatch, *, wait: float, send=None, module=headroom_module) -> tuple[list, list]:
    """Two platforms reserve 1 MW each (BAT-1 and a second SPU) under a 1.5 MW area limit that
    already holds 0.5 MW: 1 MW is left. Returns (what each got, whether the first saw a waiter)."""
    ensure_default_deadline_rule()  # a transactional test before this one flushed the migration's rule
    spus = [grid.spu, grid.new_spu(fsp=grid.cast.fsp_b), grid.new_spu(fsp=grid.cast.fsp_b)]
    for spu in spus[:2]:
        grid.prequalify(spu=spu)
    limit(grid, quantity="1.5", target_kind=TargetKind.AREA, area=mapping(box(17.9, 59.2, 18.2, 59.4)))
    nordic, balt = platform("Nordic", grid.cast.tso), platform("Balt", grid.cast.tso)
    records_ingest(caller=nordic, system_operator=grid.cast.tso, records=[{
        "external_id": "held", "kind": "award", "spu": spus[2].pk, "product": "mfrr-energy",
        "direction": "up", "quantity_mw": "0.5", "start": iso(START), "end": iso(START + timedelta(hours=1)),
    }])
    held_up, waited, results = threading.Lock(), [], []
    original = module.held_under

    def held_then_wait(*args):
        rows = original(*args)
        if held_up.acquire(blocking=False):  # the first in holds the lock: let the other come
            waited.append(until_a_session_waits(wait))
        return rows

    monkeypatch.setattr(module, "held_under", held_then_wait)
    barrier = threading.Barrier(2)

    def ask(user, spu):
        try:
            barrier.wait()
            if send is not None:
                results.append(send(user, spu))
                return
            _verdict, reservation = activation_reserve(
                user=user, caller=activation_caller(user=user), system_operator=grid.cast.tso, resource=spu,
                product=grid.mfrr, direction=Direction.UP, quantity_mw=Decimal("1"), start=START,
                end=START + timedelta(hours=1), external_id=f"{user.username}-bid",
            )
            results.append(reservation.quantity_mw if reservation else None)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=args) for args in ((nordic, spus[0]), (balt, spus[1]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results, waited


def test_two_platforms_reserving_the_last_mw_exactly_one_wins(grid, monkeypatch):
    results, waited = _race(grid, monkeypatch, wait=5)
    assert sorted(results, key=str) == [Decimal("1"), None]
    assert waited == [True]  # the second reservation did wait for the first one's lock
    assert RecordRevision.objects.filter(record__external_id__endswith="-bid").count() == 1


def test_without_the_lock_both_would_win(grid, monkeypatch):
    monkeypatch.setattr(headroom_module, "headroom_lock", lambda **kwargs: None)
    monkeypatch.setattr(sum_guard, "_GUARD", [])  # and the register's own check of the sum
    results, _waited = _race(grid, monkeypatch, wait=1)
    assert results == [Decimal("1"), Decimal("1")]  # 2.5 MW under a 1.5 MW limit


def test_two_batches_beyond_an_area_limit_at_once_exactly_one_is_stored(grid, monkeypatch):
    def send(user, spu):
        record = {
            "external_id": f"{user.username}-bid", "kind": "award", "spu": spu.pk, "product": "mfrr-energy",
            "direction": "up", "quantity_mw": "1", "start": iso(START),
            "end": iso(START + timedelta(hours=1)),
        }
        try:
            records_ingest(caller=user, system_operator=grid.cast.tso, records=[record])
            return Decimal("1")
        except RecordsRefused as exc:
            return exc.status

    results, waited = _race(grid, monkeypatch, wait=5, send=send, module=guard_module)
    assert sorted(results, key=str) == [Decimal("1"), 409]
    assert waited == [True]
    assert RecordRevision.objects.filter(record__external_id__endswith="-bid").count() == 1


def test_two_platforms_reserving_more_than_a_resource_holds_exactly_one_wins(grid, monkeypatch):
    """R11 double activation: two markets reserve 0.7 MW each of BAT-1 (1 MW up) at once, under
    no point or area limit: the check locks the resource before reading what it holds (the
    second waits), so exactly one award is registered and the other is red, its conflict kept.
    Without the check's lock the first would see no one waiting (checked by hand: waited [False])."""
    ensure_default_deadline_rule()
    grid.prequalify(spu=grid.spu)
    nordic, balt = platform("Nordic", grid.cast.tso), platform("Balt", grid.cast.tso)
    held_up, waited, results = threading.Lock(), [], []
    original = double_module.holdings_of

    def held_then_wait(**kwargs):
        rows = original(**kwargs)
        if held_up.acquire(blocking=False):
            waited.append(until_a_session_waits(5))
        return rows

    monkeypatch.setattr(double_module, "holdings_of", held_then_wait)
    barrier = threading.Barrier(2)

    def ask(user):
        try:
            barrier.wait()
            verdict, reservation = activation_reserve(
                user=user, caller=activation_caller(user=user), system_operator=grid.cast.tso,
                resource=grid.spu, product=grid.mfrr, direction=Direction.UP, quantity_mw=Decimal("0.7"),
                start=START, end=START + timedelta(hours=1), external_id=f"{user.username}-bid",
            )
            results.append(reservation.quantity_mw if reservation else verdict.color)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(user,)) for user in (nordic, balt)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results, key=str) == [Decimal("0.7"), "red"]
    assert waited == [True]
    assert RecordRevision.objects.filter(record__external_id__endswith="-bid").count() == 1
    assert RegisterConflict.objects.filter(external_id__endswith="-bid").count() == 1

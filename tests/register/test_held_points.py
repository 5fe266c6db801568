"""What is held where (register.services.held_points, PostgreSQL): after random writes (awards,
activations, revisions, cancellations), members joining, leaving and rejoining a group, a unit
moving, a point's coordinates changing and the retention, the area read off the rows
(register.selectors_held.held_in_box) gives exactly what the read of the records gives
(`_held_pg`, the rule as the records hold it), for boxes around each point and windows across
the records' edges and a daylight-saving change; a rebuild makes the same rows (the read's plan:
test_headroom_plans)."""

from __future__ import annotations

import random
import threading
from dataclasses import astuple
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import override_settings

from prequal.models import SpgMembership
from prequal.services.resources import spg_member_add, spg_member_end, spu_update
from register.models import HeldPoint, RecordRevision
from register.selectors_held import _held_pg, held_in_box
from register.services import records_ingest
from register.services.held_points import held_points_rebuild
from register.services.retention import register_retention_run
from tests.factories import ConnectionPointFactory, SpuFactory
from tests.register.helpers import DST_START, START, iso, random_records, rec, records_send
from tests.services import until_a_session_waits

pytestmark = pytest.mark.postgres

PG_BOX = "point(cp.longitude, cp.latitude) <@ box(point(%s, %s), point(%s, %s))"


def _boxes(points) -> list[tuple[float, float, float, float]]:
    """A box around each point, one around them all, and one holding none of them."""
    boxes = [(p.longitude - 0.01, p.latitude - 0.01, p.longitude + 0.01, p.latitude + 0.01) for p in points]
    return [*boxes, (10.0, 55.0, 25.0, 70.0), (-5.0, 40.0, -4.0, 41.0)]


def _windows():
    """Quarter-hours to a day, across the records' 40 hours (and the change from summer time)."""
    return [
        (DST_START + timedelta(hours=h, minutes=m), DST_START + timedelta(hours=h, minutes=m + length))
        for h, m in ((-1, 0), (3, 45), (10, 0), (19, 30), (25, 15), (33, 0))
        for length in (15, 120, 1440)
    ]


def _assert_same(points, windows=None) -> int:
    """The area read equals the records' read everywhere; returns how many rows it compared."""
    compared = 0
    for box in _boxes(points):
        for start, end in windows or _windows():
            found = sorted(astuple(h) for h in held_in_box(box=box, start=start, end=end))
            expected = sorted(astuple(h) for h in _held_pg(PG_BOX, list(box), start=start, end=end))
            assert found == expected, (box, start, end)
            compared += len(found)
    return compared


@pytest.fixture
def placed(world, cast):
    """SPU A-2 of FSP A at a third point, away from the others; point B moved away from point A."""
    cp_b = world.registry["cp_b"]
    cp_b.longitude, cp_b.latitude = 16.5, 58.6
    cp_b.save()
    cp_c = ConnectionPointFactory(connecting_so=cast.local, bidding_zone="SE3", longitude=13.0, latitude=55.6)
    spu_c = SpuFactory(fsp=cast.fsp_a, connection_point=cp_c, code="A-2", name="Alpha two")
    return [world.registry["cp_a"], cp_b, cp_c], spu_c


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_area_read_is_the_records_read_through_every_change(world, cast, placed, seed):
    points, spu_c = placed
    rng = random.Random(seed)
    records = random_records(world, rng, f"s{seed}", 30)
    records_send(world, records)
    assert HeldPoint.objects.filter(spg_id=world.spg.pk).exists()
    assert _assert_same(points)

    # Revised (other MW, some two hours later) and some cancelled.
    revised = [
        dict(r, quantity_mw=f"{rng.randint(1, 9) / 1000:.3f}", revise=True) for r in rng.sample(records, 12)
    ]
    for r in revised[::2]:
        later = [datetime.fromisoformat(r[k]) + timedelta(hours=2) for k in ("start", "end")]
        r.update(start=iso(later[0]), end=iso(later[1]))
    records_send(world, revised)
    records_send(world, rng.sample(records, 8), cancel=True)
    assert _assert_same(points)

    user = cast.fsp_a_user
    with time_machine.travel(DST_START - timedelta(hours=3), tick=False):
        # A-2 joins GA ten hours in: the group's records after that are held at its point too.
        ten_hours_in = DST_START + timedelta(hours=10)
        joined = spg_member_add(user=user, spg=world.spg, spu=spu_c, valid_from=ten_hours_in)
        group_later = RecordRevision.objects.filter(
            spg=world.spg, is_current=True, status="active", period_end__gt=joined.valid_from
        )
        assert set(
            HeldPoint.objects.filter(membership_id=joined.pk).values_list("record_id", flat=True)
        ) == set(group_later.values_list("record_id", flat=True))
        assert _assert_same(points)
        # A-1 leaves GA a day in; a membership not yet begun is removed.
        a_day_in = DST_START + timedelta(hours=24)
        spg_member_end(user=user, membership=world.registry["membership_a"], at=a_day_in)
        later = spg_member_add(
            user=user, spg=world.spg, spu=world.spu, valid_from=DST_START + timedelta(hours=30)
        )
        assert _assert_same(points)
        spg_member_end(user=user, membership=later, at=DST_START + timedelta(hours=29))
        assert not SpgMembership.objects.filter(pk=later.pk).exists()
        assert not HeldPoint.objects.filter(membership_id=later.pk).exists()
        assert _assert_same(points)
        # A-1 rejoins for the last hours: a second membership of the same unit.
        spg_member_add(user=user, spg=world.spg, spu=world.spu, valid_from=DST_START + timedelta(hours=32))
        assert _assert_same(points)

        # A-2 moves to a new point; then that point's coordinates change.
        cp_d = ConnectionPointFactory(
            connecting_so=cast.local, bidding_zone="SE3", longitude=15.0, latitude=56.2
        )
        spu_update(user=user, spu=spu_c, connection_point=cp_d)
    points = [*points, cp_d]
    assert _assert_same(points)
    cp_d.longitude, cp_d.latitude = 14.2, 57.8
    cp_d.save()
    assert _assert_same(points)

    incremental = set(HeldPoint.objects.values_list())
    assert held_points_rebuild() == len(incremental)
    assert set(HeldPoint.objects.values_list()) == incremental

    # The retention removes the records starting before its cut-off, in the middle of the records.
    cutoff = DST_START + timedelta(hours=rng.randint(4, 30), minutes=rng.choice((0, 7, 15)))
    with override_settings(GRIDPREQUAL_REGISTER_RETENTION_DAYS=400):
        register_retention_run(now=cutoff + timedelta(days=400))
    assert not HeldPoint.objects.filter(period_start__lt=cutoff).exists()
    assert HeldPoint.objects.exists()
    _assert_same(points)


@pytest.mark.django_db(transaction=True)
def test_a_group_record_sent_while_a_member_moves_is_held_at_the_new_point(world, cast):
    """A member of GA moves while a platform sends a record for GA: the move locks the group
    before it moves the rows, so the batch waits and places the record at the new point (without
    the lock it would read the former point and keep it, the move's update having run)."""
    new_point = ConnectionPointFactory(
        connecting_so=cast.local, bidding_zone="SE3", longitude=14.0, latitude=57.0
    )
    moved, go, waited, errors = threading.Event(), threading.Event(), [], []

    def move():
        try:
            with transaction.atomic():
                spu_update(user=cast.fsp_a_user, spu=world.spu, connection_point=new_point)
                moved.set()
                go.wait(30)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
            moved.set()
        finally:
            connection.close()

    def send():
        try:
            record = rec(world, "group-during-move", spg=world.spg.pk, spu=None, quantity_mw="0.1")
            records_ingest(caller=world.nordic, system_operator=cast.tso, records=[record])
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(START - timedelta(hours=3), tick=True):
        mover = threading.Thread(target=move)
        mover.start()
        assert moved.wait(30)
        sender = threading.Thread(target=send)
        sender.start()
        waited.append(until_a_session_waits(30))  # returns as soon as the batch waits
        go.set()
        for thread in (mover, sender):
            thread.join(60)
    assert not errors, errors
    assert waited == [True]  # the batch waited for the move's lock on the group
    [row] = HeldPoint.objects.filter(spg_id=world.spg.pk).values_list("longitude", "latitude")
    assert row == (new_point.longitude, new_point.latitude)
    hour = (START, START + timedelta(hours=1))
    assert _assert_same([world.registry["cp_a"], new_point], windows=[hour])

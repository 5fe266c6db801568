"""R11 double activation: in one market time unit a resource may not hold more than its capacity
in a direction across all markets, nor activations in both directions; the second registration
is refused as a conflict naming the first holder's SO, product and market time units."""

from __future__ import annotations

from datetime import timedelta

import pytest

from register.models import RecordRevision, RegisterConflict
from register.services import RecordsRefused, records_cancel, records_ingest
from tests.register.helpers import START, rec


def tso(world, records, **kwargs):
    return records_ingest(caller=world.nordic, system_operator=world.cast.tso, records=records, **kwargs)


def local(world, records):
    records = [dict(r, product=world.local_product.code) for r in records]
    return records_ingest(caller=world.flex, system_operator=world.cast.local, records=records)


def conflict(call, *args) -> str:
    with pytest.raises(RecordsRefused) as exc:
        call(*args)
    assert exc.value.status == 409
    (errors,) = exc.value.extra["records"].values()
    return errors["non_field_errors"][0]


def test_two_markets_that_together_exceed_the_capacity_conflict(world):
    tso(world, [rec(world, "nordic-1", quantity_mw="0.3")])

    message = conflict(local, world, [rec(world, "flex-1", quantity_mw="0.3")])

    assert "SPU A-1 would hold 0.6 MW up" in message
    assert "capacity of 0.5 MW" in message
    assert "Svenska kraftnät" in message and "mfrr-energy" in message
    assert "2030-01-15 10:00Z–2030-01-15 11:00Z" in message and "nordic-1" in message
    assert not RecordRevision.objects.filter(record__external_id="flex-1").exists()


def test_two_markets_within_the_capacity_both_hold(world):
    tso(world, [rec(world, "nordic-1", quantity_mw="0.3")])
    local(world, [rec(world, "flex-1", quantity_mw="0.2")])

    assert RecordRevision.objects.count() == 2


def test_market_time_units_that_do_not_overlap_do_not_conflict(world):
    tso(world, [rec(world, "nordic-1", quantity_mw="0.5")])
    local(world, [rec(world, "flex-1", quantity_mw="0.5", at=START + timedelta(hours=1))])

    assert RecordRevision.objects.count() == 2


def test_the_overlapping_market_time_units_are_named(world):
    tso(world, [rec(world, "nordic-1", quantity_mw="0.5", at=START + timedelta(minutes=45), hours=0.25)])

    message = conflict(local, world, [rec(world, "flex-1", quantity_mw="0.1")])

    assert "from 2030-01-15 10:45Z" in message
    assert "2030-01-15 10:45Z–2030-01-15 11:00Z" in message


def test_an_activation_draws_on_its_own_markets_award(world):
    tso(world, [rec(world, "award", quantity_mw="0.5")])
    tso(world, [rec(world, "act", kind="activation", quantity_mw="0.5", hours=0.25)])

    assert RecordRevision.objects.count() == 2
    # The Nordic market holds 0.5 MW (its activation within its award), not 1 MW: 0.1 more is too much.
    message = conflict(local, world, [rec(world, "flex-1", kind="activation", quantity_mw="0.1", hours=1)])
    assert "0.6 MW up" in message and "(record award)" in message


def test_activations_in_both_directions_conflict(world):
    tso(world, [rec(world, "up", kind="activation", quantity_mw="0.1", hours=0.25)])

    down = rec(world, "down", kind="activation", direction="down", quantity_mw="0.1")
    message = conflict(local, world, [down])

    assert "would be activated both up and down" in message
    assert "Svenska kraftnät" in message and "mfrr-energy" in message and "(record up)" in message


def test_records_of_one_batch_count_against_each_other(world):
    message = conflict(tso, world, [rec(world, "a", quantity_mw="0.3"), rec(world, "b", quantity_mw="0.3")])

    assert "(record a)" in message
    assert not RecordRevision.objects.exists()


def test_an_award_in_both_directions_holds_both(world):
    tso(world, [rec(world, "both", direction="both", quantity_mw="0.4")])

    message = conflict(local, world, [rec(world, "flex-down", direction="down", quantity_mw="0.2")])

    assert "0.6 MW down" in message


def test_a_revision_replaces_what_its_record_held_and_a_cancellation_frees_it(world):
    tso(world, [rec(world, "nordic-1", quantity_mw="0.4")])
    tso(world, [rec(world, "nordic-1", quantity_mw="0.5", revise=True)])  # not 0.9: the old one is gone
    conflict(local, world, [rec(world, "flex-1", quantity_mw="0.1")])

    records_cancel(caller=world.nordic, system_operator=world.cast.tso, external_ids=["nordic-1"])
    local(world, [rec(world, "flex-1", quantity_mw="0.5")])

    assert RecordRevision.objects.filter(is_current=True, status="active").count() == 1


def test_an_spg_is_held_up_to_its_members_capacity(world):
    tso(world, [rec(world, "g1", spu=None, spg=world.spg.pk, quantity_mw="0.3")])

    message = conflict(local, world, [rec(world, "g2", spu=None, spg=world.spg.pk, quantity_mw="0.3")])

    assert "SPG GA would hold 0.6 MW up" in message


def test_a_refused_double_activation_is_kept_as_a_conflict_though_its_batch_is_not(world):
    tso(world, [rec(world, "nordic-1", quantity_mw="0.3", at=START + timedelta(minutes=45), hours=0.25)])
    conflict(local, world, [rec(world, "flex-0", quantity_mw="0.1", at=START + timedelta(hours=3)),
                            rec(world, "flex-1", quantity_mw="0.3")])

    kept = RegisterConflict.objects.get()
    assert (kept.actor, kept.system_operator, kept.external_id, kept.reason) == (
        world.flex, world.cast.local, "flex-1", "capacity"
    )
    assert (kept.spu, kept.spg, kept.kind, kept.product, kept.direction) == (
        world.spu, None, "award", world.local_product, "up"
    )
    assert kept.overlap_start == START + timedelta(minutes=45)
    assert kept.overlap_end == START + timedelta(hours=1)
    assert (kept.holder_system_operator, kept.holder_product) == (world.cast.tso, world.mfrr)
    assert kept.holder_record.external_id == "nordic-1"
    assert not RecordRevision.objects.filter(record__external_id="flex-0").exists()


def test_bad_input_keeps_no_conflict(world):
    with pytest.raises(RecordsRefused):
        tso(world, [rec(world, quantity_mw="9")])

    assert not RegisterConflict.objects.exists()

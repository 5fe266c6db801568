"""R11 double activation in the activation check (limits/activation/double.py): red when what is
asked would make the resource hold, in one market time unit, more than its capacity across all
markets, or activations in both directions; the reason names the first holder's SO, product and
market time units. The rule itself is the register's (register/services/holdings.py).

The register refusing the same at registration: tests/rules/test_r11_double_activation.py."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from limits.activation import GREEN, RED, activation_check
from limits.activation.access import activation_caller
from limits.activation.double import Asked
from limits.activation.reserve import activation_reserve
from prequal.models import Direction
from register.models import RecordKind, RecordRevision, RegisterConflict
from register.services import records_cancel, records_ingest
from tests.limit_helpers import START, check, check_body
from tests.register.helpers import iso, platform

URL = "/api/activation-check/"
HOUR = timedelta(hours=1)


@pytest.fixture
def da(grid):
    """The grid with BAT-1 (1 MW up, 1 MW down) prequalified, and two market platforms writing
    for the TSO: `nordic` and `balt` (two markets)."""
    grid.prequalify(spu=grid.spu)
    grid.nordic = platform("Nordic", grid.cast.tso)
    grid.balt = platform("Balt", grid.cast.tso)
    return grid


def hold(grid, mw, *, sender=None, kind="award", direction="up", ext="n-1", at=START, minutes=60):
    records_ingest(caller=sender or grid.nordic, system_operator=grid.cast.tso, records=[{
        "external_id": ext, "kind": kind, "spu": grid.spu.pk, "product": "mfrr-energy",
        "direction": direction,
        "quantity_mw": str(mw), "start": iso(at), "end": iso(at + timedelta(minutes=minutes)),
    }])


def ask(grid, quantity, *, sender=None, direction=Direction.UP, kind=RecordKind.ACTIVATION):
    return activation_check(
        system_operator=grid.cast.tso, resource=grid.spu, product=grid.mfrr, direction=direction,
        quantity_mw=Decimal(quantity), start=START, end=START + HOUR,
        asked=Asked(sender_id=sender.pk if sender else None, system_operator_id=grid.cast.tso.pk, kind=kind),
    )


def test_red_when_another_market_holds_too_much_naming_the_first_holder(da):
    hold(da, "0.7", minutes=30)
    verdict = ask(da, "0.5", sender=da.balt)
    assert (verdict.color, verdict.max_quantity_mw) == (RED, 0)
    reason = verdict.reasons[0]
    assert "SPU BAT-1 would hold 1.2 MW up" in reason and "capacity of 1 MW" in reason
    assert "Svenska kraftnät" in reason and "mfrr-energy" in reason and "(record n-1)" in reason
    assert "2027-06-01 12:00Z–2027-06-01 12:30Z" in reason  # the market time units it collides in
    assert verdict.double.first.external_id == "n-1" and verdict.double.reason == "capacity"


def test_within_the_capacity_across_markets_the_check_is_not_red_for_it(da):
    hold(da, "0.5")
    verdict = ask(da, "0.5", sender=da.balt)
    assert verdict.color == GREEN and verdict.double is None


def test_within_one_market_the_larger_of_award_and_activation_counts(da):
    hold(da, "0.7")
    assert ask(da, "0.7", sender=da.nordic).color == GREEN  # activates what it awarded
    assert ask(da, "0.7", sender=da.balt).color == RED


def test_without_a_sender_what_is_asked_may_draw_on_any_one_markets_award(da):
    hold(da, "0.7")
    hold(da, "0.2", sender=da.balt, ext="b-1")
    assert ask(da, "0.7").color == GREEN  # nordic's award: 0.7 + balt's 0.2 fit 1 MW
    assert ask(da, "0.9").color == RED  # in either market, more than 1 MW in all
    assert check(da, quantity="0.7").color == GREEN  # the check's default asker


def test_red_for_an_activation_opposite_to_one_held(da):
    hold(da, "0.1", kind="activation", direction="down", at=START + timedelta(minutes=45), minutes=15)
    verdict = ask(da, "0.1", sender=da.nordic)
    assert verdict.color == RED
    reason = verdict.reasons[0]
    assert "both up and down" in reason and "2027-06-01 12:45Z–2027-06-01 13:00Z" in reason
    assert verdict.double.reason == "both_ways"
    # An award the other way is no activation: not a conflict.
    assert ask(da, "0.1", sender=da.nordic, kind=RecordKind.AWARD).color == GREEN


def test_records_outside_the_period_or_cancelled_do_not_count(da):
    hold(da, "1", at=START + HOUR)  # the next hour
    hold(da, "1", sender=da.balt, ext="b-1")
    records_cancel(caller=da.balt, system_operator=da.cast.tso, external_ids=["b-1"])
    assert ask(da, "1", sender=da.nordic).color == GREEN


def test_the_api_answers_a_platform_red_naming_the_holder(da, api_as):
    hold(da, "0.8", sender=da.balt, ext="b-1")
    response = api_as(da.nordic).post(URL, check_body(da, quantity_mw="0.5"), format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["color"] == RED and float(body["max_quantity_mw"]) == 0
    assert any("capacity of 1 MW" in r and "(record b-1)" in r for r in body["reasons"])
    # The platform that awarded it asks to activate it: its own market, not a double activation.
    response = api_as(da.balt).post(URL, check_body(da, quantity_mw="0.8"), format="json")
    assert response.json()["color"] == GREEN


def test_a_reservation_red_for_a_double_activation_registers_nothing_but_the_conflict(da):
    hold(da, "0.6", sender=da.balt, ext="b-1")
    verdict, reservation = activation_reserve(
        user=da.nordic, caller=activation_caller(user=da.nordic), system_operator=da.cast.tso,
        resource=da.spu, product=da.mfrr, direction=Direction.UP, quantity_mw=Decimal("0.5"),
        start=START, end=START + HOUR, external_id="n-9",
    )
    assert (verdict.color, reservation) == (RED, None)
    assert "capacity of 1 MW" in verdict.reasons[0]
    assert not RecordRevision.objects.filter(record__external_id="n-9").exists()
    conflict = RegisterConflict.objects.get(external_id="n-9")
    assert (conflict.reason, conflict.holder_record.external_id, conflict.kind) == (
        "capacity", "b-1", "award"
    )


def test_more_than_the_capacity_asked_is_the_capacitys_answer_what_it_can_deliver_may_collide(da):
    verdict = ask(da, "3", sender=da.balt)  # nothing held: the capacity caps it, no double activation
    assert (verdict.double, verdict.max_quantity_mw) == (None, Decimal("1"))
    hold(da, "0.2")
    verdict = ask(da, "3", sender=da.balt)  # the 1 MW it could deliver + 0.2 MW held elsewhere
    assert verdict.color == RED and "would hold 1.2 MW up" in verdict.reasons[0]

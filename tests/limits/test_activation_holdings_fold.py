"""What the resource holds (the double-activation rule's read) comes in the activation check's
resource statement on PostgreSQL (limits.activation.access, register.selectors_held.holdings_fold):
the same holdings as their own read gives, on the register's named partitions, one statement less
per check; read apart when the partition set changed meanwhile, and never for a reservation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection

from common.db import fetch_all_recorded
from limits.activation import RED
from limits.activation.access import activation_caller, activation_resource_for
from register import held_partitions
from register.selectors_held import holdings_of
from register.services import records_ingest
from register.services.partitions import partitions_add
from tests.limit_helpers import START, check_body
from tests.register.helpers import iso, platform

URL = "/api/activation-check/"
PERIOD = (START, START + timedelta(hours=1))
MONTH = date(START.year, START.month, 1)


@pytest.fixture
def held(grid):
    """BAT-1 (1 MW up) prequalified, holding an award of 0.7 MW up from `nordic` over PERIOD; a
    second market `balt` writes for the TSO too."""
    grid.prequalify(spu=grid.spu)
    grid.nordic = platform("Nordic", grid.cast.tso)
    grid.balt = platform("Balt", grid.cast.tso)
    records_ingest(caller=grid.nordic, system_operator=grid.cast.tso, records=[{
        "external_id": "n-1", "kind": "award", "spu": grid.spu.pk, "product": "mfrr-energy",
        "direction": "up",
        "quantity_mw": "0.7", "start": iso(PERIOD[0]), "end": iso(PERIOD[1]),
    }])
    return grid


def _resource(grid, period=PERIOD):
    caller = activation_caller(user=grid.balt)
    with fetch_all_recorded() as statements:
        resource = activation_resource_for(
            caller=caller, system_operator=grid.cast.tso, product=grid.mfrr,
            spu_id=grid.spu.pk, holdings_period=period,
        )
    return resource, [sql for sql, _params in statements]


def _fields(holdings):
    return sorted((h.order, h.market, h.kind, h.direction, h.mw, h.start, h.end, h.external_id, h.product_id)
                  for h in holdings)


@pytest.mark.postgres
def test_the_resource_comes_with_its_holdings_from_its_own_statement_on_the_named_partitions(held):
    partitions_add(first=MONTH, count=1)
    first, first_sql = _resource(held)  # no partition set known yet: the table, and the set learnt
    second, second_sql = _resource(held)

    own = holdings_of(resource=("spu", held.spu.pk), start=PERIOD[0], end=PERIOD[1])
    assert [h.external_id for h in own] == ["n-1"]
    for resource in (first, second):
        assert resource.prefetched_holdings[0] == PERIOD
        assert _fields(resource.prefetched_holdings[1]) == _fields(own)
    assert len(first_sql) == len(second_sql) == 1
    assert "FROM register_recordrevision r " in first_sql[0]
    assert held_partitions.partition_name(MONTH) in second_sql[0]
    assert "FROM register_recordrevision r " not in second_sql[0]


@pytest.mark.postgres
def test_the_check_reads_no_holdings_apart_and_answers_as_before(held, api_as):
    client = api_as(held.balt)
    client.post(URL, check_body(held, quantity_mw="0.5"), format="json")  # learns the partition set
    with fetch_all_recorded() as statements:
        response = client.post(URL, check_body(held, quantity_mw="0.5"), format="json")
    assert response.status_code == 200, response.content
    assert response.json()["color"] == RED and "(record n-1)" in response.json()["reasons"][0]
    assert not [sql for sql, _ in statements if sql.startswith("SELECT r.record_id, rr.sender_id")]
    assert [sql for sql, _ in statements if sql.startswith("WITH h AS MATERIALIZED")]


@pytest.mark.postgres
def test_a_month_added_meanwhile_leaves_the_holdings_to_their_own_read(held, api_as):
    _resource(held)  # the set learnt: the record lies in the default partition
    partitions_add(first=MONTH, count=1)  # another process adds the month: the record moves
    resource, _sql = _resource(held)
    assert not hasattr(resource, "prefetched_holdings")  # not trusted: read apart by the rule
    assert held_partitions.partition_name(MONTH) in held_partitions._known[1]
    response = api_as(held.balt).post(URL, check_body(held, quantity_mw="0.5"), format="json")
    assert response.json()["color"] == RED


def test_without_a_period_or_on_sqlite_the_holdings_are_not_folded(held):
    resource, _sql = _resource(held, period=None)
    assert not hasattr(resource, "prefetched_holdings")
    if connection.vendor == "sqlite":
        assert not hasattr(_resource(held)[0], "prefetched_holdings")


@pytest.fixture
def month_dropped_after():
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {held_partitions.partition_name(MONTH)}")
    held_partitions.partitions_forget()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_month_dropped_by_another_process_is_read_around(held, month_dropped_after):
    previous = date(MONTH.year - (MONTH.month == 1), (MONTH.month - 2) % 12 + 1, 1)
    partitions_add(first=previous, count=2)
    _resource(held)
    assert held_partitions.partition_name(previous) in held_partitions._known[1]
    with connection.cursor() as cursor:  # retention, in another process: the earlier month goes
        cursor.execute(f"DROP TABLE {held_partitions.partition_name(previous)}")
    resource, statements = _resource(held)
    assert resource is not None and not hasattr(resource, "prefetched_holdings")
    assert len(statements) == 2  # the folded statement failed; the resource read again without it

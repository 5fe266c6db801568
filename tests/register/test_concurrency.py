"""Two markets register the last MW of one SPU at once (SPEC R11): exactly one wins (PostgreSQL).

The first batch to hold the SPU's lock is held up after reading what the SPU holds until the
other batch is seen waiting for a lock; without the lock both would read an empty register and
both pass.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from register.models import RecordRevision
from register.services import RecordsRefused, records_ingest
from register.services import ingest as ingest_module
from tests.register.helpers import rec
from tests.services import until_a_session_waits

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_markets_at_once_exactly_one_wins(world, monkeypatch):
    held_up = threading.Lock()
    waited: list[bool] = []
    original = ingest_module.holdings_held

    def held_then_wait(**kwargs):
        rows = original(**kwargs)
        if held_up.acquire(blocking=False):  # the first in holds the lock: let the other come
            waited.append(until_a_session_waits())
        return rows

    monkeypatch.setattr(ingest_module, "holdings_held", held_then_wait)
    barrier = threading.Barrier(2)
    results: list = []

    def send(caller, system_operator, product):
        try:
            barrier.wait()
            record = rec(world, f"{caller.username}-1", product=product.code, quantity_mw="0.3")
            records_ingest(caller=caller, system_operator=system_operator, records=[record])
            results.append("won")
        except RecordsRefused as exc:
            results.append(exc.status)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=send, args=(world.nordic, world.cast.tso, world.mfrr)),
        threading.Thread(target=send, args=(world.flex, world.cast.local, world.local_product)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(results, key=str) == [409, "won"]
    assert waited == [True]  # the second batch did wait for the first one's lock
    assert RecordRevision.objects.count() == 1

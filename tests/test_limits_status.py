"""A limit's status and effective period have one rule: the row in memory agrees with the query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from limits.models import LimitStatus, TargetKind, TemporaryLimit
from limits.selectors import status_q
from prequal.models import Direction

START = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
END = START + timedelta(hours=4)
SECOND = timedelta(seconds=1)
LIFTS = {
    "never": None,
    "before the start": START - timedelta(hours=1),
    "at the start": START,
    "in force": START + timedelta(hours=1),
    "at the end": END,
    "after the end": END + timedelta(hours=1),
}


@pytest.mark.parametrize("lifted", LIFTS.values(), ids=LIFTS.keys())
def test_the_status_of_a_row_is_the_status_its_query_finds_at_every_boundary(grid, lifted):
    limit = TemporaryLimit.objects.create(
        system_operator=grid.cast.local,
        target_kind=TargetKind.SPU,
        spu=grid.spu,
        direction=Direction.UP,
        quantity_mw=Decimal("0.5"),
        start=START,
        end=END,
        reason="maintenance",
        created_by=grid.cast.local_engineer,
        lifted_at=lifted,
    )
    boundaries = [START, END] + ([lifted] if lifted else [])
    instants = sorted({b + d for b in boundaries for d in (-SECOND, timedelta(0), SECOND)})
    seen = set()
    for at in instants:
        with time_machine.travel(at, tick=False):
            found = {
                status
                for status in LimitStatus.values
                if TemporaryLimit.objects.filter(status_q(status), pk=limit.pk).exists()
            }
            current = TemporaryLimit.objects.filter(status_q("current"), pk=limit.pk).exists()
            assert found == {limit.status}, at
            assert current == (limit.status in (LimitStatus.UPCOMING, LimitStatus.ACTIVE)), at
            assert TemporaryLimit.objects.in_status(limit.status).filter(pk=limit.pk).exists(), at
            seen.add(limit.status)
    assert LimitStatus.UPCOMING in seen
    annotated = TemporaryLimit.objects.with_effective_period().get(pk=limit.pk)
    assert limit.effective_end == annotated.effective_until == annotated.effective_end
    assert annotated.effective_duration == limit.effective_end - limit.start

"""A limit's status and effective period have one rule: the row in memory agrees with the query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from common.db import fetch_all
from limits.models import LimitStatus, TargetKind, TemporaryLimit
from limits.periods import LIMIT_APPLIES_DURING_SQL, limit_applies_during_q
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


@pytest.mark.parametrize("lifted", LIFTS.values(), ids=LIFTS.keys())
def test_applying_during_a_window_is_one_rule_for_the_query_the_sql_and_the_row(grid, lifted):
    """limit_applies_during_q (the ORM), LIMIT_APPLIES_DURING_SQL (the activation check's
    statement) and the row's own effective period select the same limits for every window
    whose ends fall on, just before or just after each boundary."""
    limit = TemporaryLimit.objects.create(
        system_operator=grid.cast.local, target_kind=TargetKind.SPU, spu=grid.spu,
        direction=Direction.UP, quantity_mw=Decimal("0.5"), start=START, end=END,
        reason="maintenance", created_by=grid.cast.local_engineer, lifted_at=lifted,
    )
    boundaries = [START, END] + ([lifted] if lifted else [])
    instants = sorted({b + d for b in boundaries for d in (-SECOND, timedelta(0), SECOND)})
    windows = [(a, b) for a in instants for b in instants if a < b]
    applied = 0
    for window_start, window_end in windows:
        effective_end = limit.effective_end
        by_row = limit.start < window_end and window_start < effective_end and limit.start < effective_end
        applying = TemporaryLimit.objects.filter(limit_applies_during_q(window_start, window_end))
        by_q = applying.filter(pk=limit.pk).exists()
        by_sql = bool(fetch_all(  # as the activation check runs it (prepared on PostgreSQL)
            f"SELECT id FROM limits_temporarylimit WHERE id = %s AND {LIMIT_APPLIES_DURING_SQL}",
            [limit.pk, window_start, window_end, window_start],
        ))
        assert by_row == by_q == by_sql, (window_start, window_end)
        applied += by_row
    # Every lift but one that precedes the start leaves some window in which the limit applies.
    assert applied > 0 or (lifted is not None and lifted <= START)

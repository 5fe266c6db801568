"""R8 + R12, SPEC §7: the activation check's in-process cache of congested forecast units
(forecasts.congestion_cache) gives the statement's answer (forecasts.congestion.congested_units_as_of),
and sends no statement for it between refreshes.

Publications here are committed (transactional_db): inside the publishing transaction the cache is
not read (the rows are not committed), so the tests that wrap everything in one transaction would
never reach it. The forecast world: tests/forecasts/helpers.py (NORTH and SOUTH of the local DSO,
GBG of the other local DSO).
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forecasts import congestion_cache
from forecasts.congestion import congested_units_as_of
from forecasts.congestion_cache import CACHE_REFRESH_SECONDS, SLIDE_STEP, congested_units
from forecasts.services import publication_create
from tests.forecasts.helpers import PUBLISH_AT, make_zones

pytestmark = pytest.mark.django_db(transaction=True)
LEVELS = ("none", "possible", "likely", "certain")


@pytest.fixture
def zones(cast, grid):
    return make_zones(cast)


def _publish(cast, zone_rows, *, now, so=None, user=None, mtu=15, horizon="intraday"):
    return publication_create(
        user=user or cast.local_engineer, system_operator=so or cast.local, horizon=horizon,
        mtu_minutes=mtu, rows=zone_rows, now=now,
    )


def _ask(zones, start) -> dict:
    """NORTH, up, the hour from `start` (as_of given by the caller)."""
    end = start + timedelta(hours=1)
    return {"zone_ids": [zones.north.pk], "directions": {"up"}, "start": start, "end": end}


def _row(start, level: str) -> dict:
    return {"zone": "NORTH", "start": start.isoformat(), "direction": "up", "headroom_mw": "0",
            "level": level}


def _random_rows(rng: random.Random, codes: list[str], *, around, mtu: int) -> list[dict]:
    """Rows for random starts (aligned to `mtu`) from an hour before `around` to 50 hours after."""
    base = around.replace(minute=0, second=0, microsecond=0)
    rows, seen = [], set()
    for _ in range(rng.randrange(1, 30)):
        start = base + timedelta(minutes=mtu * rng.randrange(-60 // mtu, 50 * 60 // mtu))
        key = (rng.choice(codes), start, rng.choice(("up", "down")))
        if key in seen:
            continue
        seen.add(key)
        rows.append({"zone": key[0], "start": start.isoformat(), "direction": key[2],
                     "headroom_mw": "1", "level": rng.choice(LEVELS)})
    return rows


def _compare(rng: random.Random, zone_ids: list[int], *, now, queries: int) -> int:
    """Ask the cache and the statement the same random questions as of `now`; the number of
    answers that held a congested unit."""
    congested = 0
    for _ in range(queries):
        start = now.replace(second=0, microsecond=0) + timedelta(minutes=15 * rng.randrange(-4, 190))
        period = {
            "zone_ids": rng.sample(zone_ids, rng.randrange(1, len(zone_ids) + 1)),
            "directions": rng.choice(({"up"}, {"down"}, {"up", "down"})),
            "start": start + timedelta(minutes=rng.choice((0, 5, 7))),
            "end": start + timedelta(minutes=15 * rng.randrange(1, 12)),
            "as_of": now,
        }
        expected = congested_units_as_of(**period)
        assert congested_units(**period) == expected, period
        with CaptureQueriesContext(connection) as captured:
            assert congested_units(**period) == expected, period
        assert len(captured) == 0  # the cache answered
        congested += bool(expected)
    return congested


def test_the_cache_answers_as_the_statement_on_random_publications(cast, grid, zones):
    """Corrections, 15- and 60-minute units at the same start, both horizons, two operators, one
    publication stamped before an earlier one (late), one stamped ahead of the clock, the clock
    moved across the refresh interval and across a slide of the window."""
    rng = random.Random(16)
    zone_ids = [zones.north.pk, zones.south.pk, zones.gbg.pk]
    clock = PUBLISH_AT
    congested = 0
    for step in range(36):
        with time_machine.travel(clock, tick=False):
            if step % 3 == 0:
                gbg = _random_rows(rng, ["GBG"], around=clock, mtu=60)
                _publish(cast, gbg, now=clock, so=cast.other_local, user=cast.other_local_engineer, mtu=60)
            mtu = rng.choice((15, 60))
            stamp = {7: clock - timedelta(minutes=20), 11: clock + timedelta(minutes=20)}.get(step, clock)
            _publish(cast, _random_rows(rng, ["NORTH", "SOUTH"], around=clock, mtu=mtu), now=stamp, mtu=mtu,
                     horizon=rng.choice(("intraday", "near_real_time")))
            congested += _compare(rng, zone_ids, now=clock, queries=12)
        clock += timedelta(seconds=CACHE_REFRESH_SECONDS + 1) if step % 9 else SLIDE_STEP + timedelta(hours=1)
        with time_machine.travel(clock, tick=False):
            congested += _compare(rng, zone_ids, now=clock, queries=6)
    assert congested > 50  # the questions met congestion often, not only empty answers


def test_another_process_publication_shows_after_the_refresh_interval(cast, grid, zones, monkeypatch):
    start = PUBLISH_AT + timedelta(hours=3)
    ask = _ask(zones, start)
    row = _row(start, "certain")
    with time_machine.travel(PUBLISH_AT, tick=False):
        assert congested_units(**ask, as_of=PUBLISH_AT) == []  # the cache is read
        # Stored by another process: this process hears nothing of it.
        monkeypatch.setattr("forecasts.services.publications.cache_published", lambda: None)
        _publish(cast, [row], now=PUBLISH_AT)
        with CaptureQueriesContext(connection) as captured:
            assert congested_units(**ask, as_of=PUBLISH_AT) == []
        assert len(captured) == 0
    later = PUBLISH_AT + timedelta(seconds=CACHE_REFRESH_SECONDS + 0.5)
    with time_machine.travel(later, tick=False):
        [unit] = congested_units(**ask, as_of=later)
        assert (unit.zone_id, unit.start, unit.level) == (zones.north.pk, start, 3)
        assert congested_units(**ask, as_of=later) == congested_units_as_of(**ask, as_of=later)


def test_a_publication_shows_at_once_in_the_process_that_published_it(cast, grid, zones):
    start = PUBLISH_AT + timedelta(hours=3)
    ask = _ask(zones, start)
    row = _row(start, "likely")
    with time_machine.travel(PUBLISH_AT, tick=False):
        assert congested_units(**ask, as_of=PUBLISH_AT) == []
        _publish(cast, [row], now=PUBLISH_AT)
        assert [u.level for u in congested_units(**ask, as_of=PUBLISH_AT)] == [2]
        _publish(cast, [{**row, "level": "none"}], now=PUBLISH_AT)  # a correction, same instant
        assert congested_units(**ask, as_of=PUBLISH_AT) == []


def test_outside_the_window_or_before_the_horizon_the_statement_answers(cast, grid, zones):
    far = PUBLISH_AT + timedelta(days=5)
    row = _row(far, "likely")
    with time_machine.travel(PUBLISH_AT, tick=False):
        _publish(cast, [row], now=PUBLISH_AT)
        ask = _ask(zones, far)
        with CaptureQueriesContext(connection) as captured:
            [unit] = congested_units(**ask, as_of=PUBLISH_AT)
        assert unit.start == far and len(captured) >= 1
        # As of a moment before the cache's horizon: the statement, which knows the past.
        assert congested_units(**ask, as_of=PUBLISH_AT - timedelta(hours=2)) == []


def test_inside_the_publishing_transaction_the_statement_answers(cast, grid, zones):
    """The cache never keeps rows a rollback takes back."""
    from django.db import transaction

    start = PUBLISH_AT + timedelta(hours=3)
    ask = _ask(zones, start)
    row = _row(start, "likely")
    with time_machine.travel(PUBLISH_AT, tick=False):
        assert congested_units(**ask, as_of=PUBLISH_AT) == []
        with transaction.atomic():
            _publish(cast, [row], now=PUBLISH_AT)
            assert [u.level for u in congested_units(**ask, as_of=PUBLISH_AT)] == [2]  # by statement
            transaction.set_rollback(True)
        assert congested_units(**ask, as_of=PUBLISH_AT) == []
        assert congestion_cache._cache is not None and not congestion_cache._cache.slots


def test_a_refresh_that_fails_drops_the_cache(cast, grid, zones, monkeypatch):
    """No half-applied state answers: the next check builds the cache again."""
    from django.db import OperationalError

    start = PUBLISH_AT + timedelta(hours=3)
    ask = _ask(zones, start)
    with time_machine.travel(PUBLISH_AT, tick=False):
        assert congested_units(**ask, as_of=PUBLISH_AT) == []
    later = PUBLISH_AT + timedelta(seconds=CACHE_REFRESH_SECONDS + 1)

    def refused(*args, **kwargs):
        raise OperationalError("the server went away")

    monkeypatch.setattr(congestion_cache, "fetch_all", refused)
    with time_machine.travel(later, tick=False), pytest.raises(OperationalError):
        congested_units(**ask, as_of=later)
    assert congestion_cache._cache is None

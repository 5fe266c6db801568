"""The congested market time units of every zone near now, kept in process (R8, R12, SPEC §7).

Read by the activation check on every call: `congested_units` answers as
forecasts.congestion.congested_units_as_of does (the rule's one home: per zone, start and
direction the row of the latest publication published by `as_of`, then its level), from this
process's memory when the period lies in the cached window and `as_of` is not before the cache's
horizon, else by that statement. tests/forecasts/test_congestion_cache.py holds the two together
on random publications, corrections and horizons.

What is kept, per (zone, direction) and start in the window (the past hour to at least 48 hours
ahead): the row seen as of the horizon H if it says likely or certain, and every row published
after H that could change the answer. A row saying none or possible for a start with nothing kept
is dropped: nothing kept means not congested. A row is applied in publication order ((published
at, id)); one that comes later than a row it precedes (a publication committed after a later one,
rare: two engineers at once) may have been hidden by a dropped row, so its zones are read again.

Brought up to date incrementally: at most every CACHE_REFRESH_SECONDS one statement reads the
publications stored since the largest id seen (and the ids below it not seen yet: a transaction
that took its id earlier and committed later), then one reads those publications' rows in the
window that matter (likely or certain, or in a zone with units kept). Every SLIDE_STEP the window
slides: the rows of the new hours are read, the old ones forgotten, and H moves to now. The
process that publishes sees its publication on its next check (publication_create calls
`cache_published`); inside the publishing transaction the check reads by statement, so a
publication rolled back is never kept.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left, insort
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from common.db import fetch_all, model_columns
from forecasts.congestion import CongestedUnit, congested_units_as_of
from forecasts.models import CongestionLevel, ForecastValue, Publication
from forecasts.selectors import LONGEST_MTU

CACHE_REFRESH_SECONDS = 5.0
# The market time units' lengths, made once (a timedelta per unit was a tenth of the lookup's time).
_LENGTHS = {minutes: timedelta(minutes=minutes) for minutes in (15, 30, 60)}
PAST = timedelta(hours=1)
AHEAD = timedelta(hours=48)
SLIDE_STEP = timedelta(hours=6)
# An id below the largest seen but not seen yet is looked for this long (its transaction may
# still commit), then taken for rolled back.
GAP_SECONDS = 600.0
# How far below the largest id the first read looks for ids not committed yet.
TAIL_IDS = 1000
CONGESTED = int(CongestionLevel.LIKELY)
# The horizon trails the clock by this much: a check that read the clock just before a slide is
# still answered from the cache.
HORIZON_LAG = timedelta(minutes=1)
_FIELDS = ("zone_id", "start", "direction", "minutes", "level", "publication_id", "published_at")
_PUB_FIELDS = ("id", "published_at", "first_start", "last_end")

_lock = threading.Lock()
_local = threading.local()


def _in(column: str, values) -> tuple[str, list]:
    """`column IN (…)`: one array parameter on PostgreSQL (one prepared statement whatever the
    count), placeholders elsewhere."""
    values = sorted(values)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [values]
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


@dataclass
class _Slots:
    """One zone's and direction's kept rows: starts in order, and per start its entries
    (published_at, publication id, level, minutes) in publication order."""

    starts: list = field(default_factory=list)
    entries: dict = field(default_factory=dict)

    def add(self, start: datetime, entry: tuple) -> None:
        found = self.entries.get(start)
        if found is None:
            insort(self.starts, start)
            self.entries[start] = [entry]
        else:
            insort(found, entry)


def _seen(entries: list, as_of: datetime) -> tuple | None:
    """The entry of the latest publication published at or before `as_of`."""
    for entry in reversed(entries):
        if entry[0] <= as_of:
            return entry
    return None


class _Cache:
    """The process's kept units; every method is called with the module's lock held."""

    def __init__(self, now: datetime) -> None:
        self.horizon = now - HORIZON_LAG
        self.window_start = now - PAST
        self.window_end = now + AHEAD + SLIDE_STEP
        self.slots: dict[tuple[int, str], _Slots] = {}
        # (published_at, id) of the latest publication applied: one that sorts before it is late.
        self.mark: tuple = (self.horizon, float("inf"))
        self.top = 0
        self.gaps: dict[int, float] = {}
        self.checked_at = time.time()
        self.stale = False
        self._build()

    # --- reading what is stored ---------------------------------------------------------------

    def _publications_filter(self) -> tuple[str, list]:
        sql, params = "id <= %s", [self.top]
        if self.gaps:
            gaps_sql, gaps_params = _in("id", self.gaps)
            sql, params = f"{sql} AND NOT ({gaps_sql})", params + gaps_params
        return sql, params

    def _load(self, *, start: datetime, end: datetime, zone_ids=None) -> None:
        """Keep the rows of [start, end) (of these zones; default all) as of the horizon, and every
        row published after it, from the publications applied (ids up to `top`, not the gaps)."""
        pubs_sql, pubs_params = self._publications_filter()
        zones_sql, zones_params = ("", []) if zone_ids is None else _in("zone_id", zone_ids)
        zones_sql = f" AND {zones_sql}" if zones_sql else ""
        columns = ", ".join(_FIELDS)
        rows_of = (
            f"FROM forecasts_forecastvalue WHERE publication_id IN (SELECT id FROM forecasts_publication "
            f"WHERE last_end > %s AND first_start < %s AND {pubs_sql}) "
            f"AND start >= %s AND start < %s{zones_sql}"
        )
        rows_params = [start, end, *pubs_params, start, end, *zones_params]
        sql = (
            f"SELECT {columns} FROM (SELECT {columns}, ROW_NUMBER() OVER (PARTITION BY zone_id, start, "
            f"direction ORDER BY published_at DESC, publication_id DESC) AS rank {rows_of} "
            "AND published_at <= %s) ranked WHERE rank = 1 AND level >= %s "
            f"UNION ALL SELECT {columns} {rows_of} AND published_at > %s"
        )
        params = [*rows_params, self.horizon, CONGESTED, *rows_params, self.horizon]
        rows = fetch_all(sql, params, columns=model_columns(ForecastValue, _FIELDS), binary=True)
        for zone_id, unit_start, direction, minutes, level, publication_id, published_at in rows:
            slots = self.slots.get((zone_id, direction))
            if slots is None:
                slots = self.slots[(zone_id, direction)] = _Slots()
            slots.add(unit_start, (published_at, publication_id, level, minutes))

    def _build(self) -> None:
        found = fetch_all(
            "SELECT id FROM forecasts_publication WHERE id > "
            "(SELECT COALESCE(MAX(id), 0) FROM forecasts_publication) - %s",
            [TAIL_IDS],
        )
        ids = {row[0] for row in found}
        self.top = max(ids, default=0)
        tail = range(max(self.top - TAIL_IDS, 0) + 1, self.top)
        self.gaps = {i: self.checked_at for i in tail if i not in ids}
        self._load(start=self.window_start - LONGEST_MTU, end=self.window_end)

    # --- bringing it up to date ----------------------------------------------------------------

    def _new_publications(self) -> list[tuple]:
        """The publications stored since the last look: above `top`, or a gap below it."""
        sql, params = "id > %s", [self.top]
        if self.gaps:
            gaps_sql, gaps_params = _in("id", self.gaps)
            sql, params = f"({sql} OR {gaps_sql})", params + gaps_params
        found = fetch_all(
            f"SELECT {', '.join(_PUB_FIELDS)} FROM forecasts_publication WHERE {sql} ORDER BY id",
            params,
            columns=model_columns(Publication, _PUB_FIELDS),
        )
        now = time.time()
        for pub_id, *_rest in found:
            self.gaps.pop(pub_id, None)
            if pub_id > self.top:
                self.gaps.update((i, now) for i in range(self.top + 1, pub_id))
                self.top = pub_id
        for pub_id in [i for i, noticed in self.gaps.items() if now - noticed > GAP_SECONDS]:
            del self.gaps[pub_id]
        low, high = self.window_start - LONGEST_MTU, self.window_end
        return [pub for pub in found if pub[3] > low and pub[2] < high]

    def refresh(self) -> None:
        publications = self._new_publications()
        self.checked_at, self.stale = time.time(), False
        if not publications:
            return
        low, high = self.window_start - LONGEST_MTU, self.window_end
        pubs_sql, pubs_params = _in("publication_id", [pub[0] for pub in publications])
        kept_sql, kept_params = _in("zone_id", {zone_id for zone_id, _direction in self.slots})
        rows = fetch_all(
            f"SELECT {', '.join(_FIELDS)} FROM forecasts_forecastvalue WHERE {pubs_sql} "
            f"AND start >= %s AND start < %s AND (level >= %s OR {kept_sql})",
            [*pubs_params, low, high, CONGESTED, *kept_params],
            columns=model_columns(ForecastValue, _FIELDS),
            binary=True,
        )
        mark = self.mark
        late: set[int] = set()
        for zone_id, start, direction, minutes, level, pub_id, published_at in sorted(
            rows, key=lambda r: (r[6], r[5])
        ):
            if (published_at, pub_id) < mark:
                late.add(zone_id)
                continue
            slots = self.slots.get((zone_id, direction))
            if slots is None or start not in slots.entries:
                if level < CONGESTED:
                    continue  # nothing kept: not congested, and still not
                slots = slots or self.slots.setdefault((zone_id, direction), _Slots())
            slots.add(start, (published_at, pub_id, level, minutes))
        self.mark = max([mark, *((pub[1], pub[0]) for pub in publications)])
        if late:
            self._reload(zone_ids=late)

    def _reload(self, *, zone_ids: set[int]) -> None:
        for key in [key for key in self.slots if key[0] in zone_ids]:
            del self.slots[key]
        self._load(start=self.window_start - LONGEST_MTU, end=self.window_end, zone_ids=zone_ids)

    def slide(self, now: datetime) -> None:
        """Forget the hours past, read the hours ahead, and move the horizon to `now`."""
        end = now + AHEAD + SLIDE_STEP
        start = now - PAST
        self._collapse(now - HORIZON_LAG, forget_before=start - LONGEST_MTU)
        self.window_start = start
        self._load(start=max(self.window_end, start - LONGEST_MTU), end=end)
        self.window_end = end

    def _collapse(self, horizon: datetime, *, forget_before: datetime) -> None:
        """Entries published by `horizon` shrink to the last of them (kept if congested)."""
        for key, slots in list(self.slots.items()):
            for start in list(slots.starts):
                entries = slots.entries[start]
                if start >= forget_before:
                    seen = _seen(entries, horizon)
                    later = [entry for entry in entries if entry[0] > horizon]
                    kept = ([seen] if seen is not None and seen[2] >= CONGESTED else []) + later
                    if any(entry[2] >= CONGESTED for entry in kept):
                        slots.entries[start] = kept
                        continue
                    # Rows published after the horizon, forgotten: one sorting before them is late.
                    self.mark = max([self.mark, *((entry[0], entry[1]) for entry in later)])
                del slots.entries[start]
                slots.starts.remove(start)
            if not slots.starts:
                del self.slots[key]
        self.horizon = horizon
        self.mark = max(self.mark, (horizon, float("inf")))

    # --- answering -----------------------------------------------------------------------------

    def serves(self, *, start: datetime, end: datetime, as_of: datetime) -> bool:
        return as_of >= self.horizon and start >= self.window_start and end <= self.window_end

    def units(self, *, zone_ids, directions, start: datetime, end: datetime, as_of: datetime) -> list:
        units = []
        low = start - LONGEST_MTU
        for zone_id in zone_ids:
            for direction in directions:
                slots = self.slots.get((zone_id, direction))
                if slots is None:
                    continue
                starts = slots.starts
                i = bisect_left(starts, low)
                while i < len(starts) and starts[i] < end:
                    unit_start = starts[i]
                    i += 1
                    entry = _seen(slots.entries[unit_start], as_of)
                    if entry is None or entry[2] < CONGESTED:
                        continue
                    _published, pub_id, level, minutes = entry
                    length = _LENGTHS.get(minutes)
                    unit_end = unit_start + (length if length is not None else timedelta(minutes=minutes))
                    if unit_end > start:
                        units.append(CongestedUnit(zone_id, unit_start, unit_end, direction, level, pub_id))
        units.sort(key=lambda u: (u.zone_id, u.start, u.direction))
        return units


_cache: _Cache | None = None


def cache_forget() -> None:
    """Drop this process's cache (read again on the next check)."""
    global _cache
    _cache = None


def cache_published() -> None:
    """A publication was stored in this thread: the next check outside its transaction reads the
    publications again; inside it the check reads by statement (the rows are not committed)."""
    _local.published = True
    cache = _cache
    if cache is not None:
        cache.stale = True


def _current(now: datetime) -> _Cache:
    """The cache, built, brought up to date and slid as needed; a failure half-way (a statement
    refused) drops it, so that no half-applied state answers."""
    global _cache
    cache = _cache
    try:
        if cache is None or now < cache.horizon:  # none yet, or the clock went back (tests, benches)
            cache = _cache = _Cache(now)
        elif cache.stale or not 0 <= time.time() - cache.checked_at < CACHE_REFRESH_SECONDS:
            cache.refresh()
        if now + AHEAD > cache.window_end or now - PAST - cache.window_start > SLIDE_STEP:
            cache.slide(now)
    except BaseException:
        _cache = None
        raise
    return cache


def congested_units(
    *, zone_ids, directions, start: datetime, end: datetime, as_of: datetime
) -> list[CongestedUnit]:
    """The likely or certain units as forecasts.congestion.congested_units_as_of gives them, from
    the process's cache when it covers the period and moment (no statement, but one every
    CACHE_REFRESH_SECONDS to bring it up to date), else by that statement."""
    zone_ids, directions = sorted(zone_ids), sorted(directions)
    if not zone_ids or not directions:
        return []
    if connection.in_atomic_block:
        usable = not getattr(_local, "published", False)
    else:
        _local.published, usable = False, True
    period = {"start": start, "end": end, "as_of": as_of}
    if usable:
        with _lock:
            cache = _current(timezone.now())
            if cache.serves(**period):
                return cache.units(zone_ids=zone_ids, directions=directions, **period)
    return congested_units_as_of(zone_ids=zone_ids, directions=directions, **period)

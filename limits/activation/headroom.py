"""Headroom under a limit on a connection point or an area (SPEC R11, extending R7 and R8).

R7 lets a temporary limit cap each resource it covers. R11 changes that for a limit on a
connection point or on an area: it bounds the SUM of what every resource at the point, or at a
point inside the area, holds there in the register (awards and activations), per direction and
market time unit. A limit on an SPU or an SPG still caps that one resource (R7, unchanged).

The activation check (R8) therefore answers with the headroom of such a limit: the limit minus
the most the OTHER resources hold there at once in the check's period (market time unit by
market time unit, only while the limit applies). What a market holds is counted as for double
activation (register.services.holdings.held_in_segment): per market (a platform sending for an
operator) the larger of its awards and its activations, and across markets the sum. The
largest quantity allowed is min(headroom, the resource's other caps); nothing left (headroom 0)
is red, a headroom above 0 is yellow with that maximum, as any binding limit is.

What counts where: an SPU's record at its connection point; an SPG's record where its members
lie, at most what the members there can deliver in that direction (the grid operator's worst
case: the whole award may be delivered from there). Records of the resource asked about do not
count against it (the check asks whether that resource may deliver; its own awards are what it
would activate); a reservation (limits.activation.reserve) counts everything but the record it
reserves, since what it registers comes on top of the resource's other records.

Concurrency: `lock=True` takes a transaction-scoped advisory lock per limit (PostgreSQL) before
reading what is held, so a reservation's check and its award happen under the lock: a second
reservation under the same limit waits, then reads the first one's award. SQLite's IMMEDIATE
transactions run one writer at a time already.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import shapely
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.numbers import quantity_text
from limits.activation.access import Readable
from limits.activation.limit_lookup import _area_geometry
from limits.models import TargetKind, TemporaryLimit
from prequal.models import Direction
from register.selectors_held import Held, held_at_point, held_in_box, resource_names
from register.services.holdings import Holding, held_in_segment

SUM_KINDS = frozenset((TargetKind.CONNECTION_POINT, TargetKind.AREA))
LOCK_CLASS = 0x4844  # the first key of this module's advisory locks; the second is the limit's id
KW_PER_MW = Decimal(1000)


@dataclass(frozen=True)
class Exclude:
    """What does not count against the headroom: the resource asked about ("spu" | "spg", id),
    or the record a reservation registers (sender id, operator id, external id)."""

    resource: tuple[str, int] | None = None
    record: tuple[int, int, str] | None = None

    @classmethod
    def of(cls, resource) -> Exclude:
        """The resource's own records (an Spu or an Spg): the check's default."""
        return cls(resource=(type(resource).__name__.lower(), resource.pk))

    def __call__(self, held: Held) -> bool:
        return held.resource == self.resource or (
            (held.sender_id, held.system_operator_id, held.external_id) == self.record
        )


@dataclass(frozen=True)
class Holder:
    """A resource ("spu" | "spg", id) holding part of the sum, and the most it holds at once.
    Its name and FSP are read only when an answer names them (headroom_text)."""

    resource: tuple[str, int]
    mw: Decimal


@dataclass
class Headroom:
    """What is left under one point or area limit in one direction over the check's period."""

    limit: TemporaryLimit
    direction: str
    held_mw: Decimal
    holders: list[Holder] = field(default_factory=list)

    @property
    def mw(self) -> Decimal:
        return max(self.limit.quantity_mw - self.held_mw, Decimal(0))


def is_sum_limit(limit: TemporaryLimit) -> bool:
    return limit.target_kind in SUM_KINDS


def headroom_lock(*, limit_ids: Iterable[int]) -> None:
    """Lock these limits' sums until the transaction ends, in one order (no deadlock). PostgreSQL."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for limit_id in sorted(set(limit_ids)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, limit_id % 2**31])


def limits_headroom(
    *, limits: Iterable[TemporaryLimit], directions: Iterable[str], start: datetime, end: datetime,
    exclude: Exclude, lock: bool = False,
) -> dict[tuple[int, str], Headroom]:
    """The headroom of every point and area limit among `limits`, by (limit id, direction), over
    [start, end). One read of the register per such limit; nothing for the other limits."""
    sums = {limit.pk: limit for limit in limits if is_sum_limit(limit)}
    if not sums:
        return {}
    if lock:
        headroom_lock(limit_ids=sums)
    found = {}
    for limit in sums.values():
        window = (max(start, limit.start), min(end, limit.effective_end))
        if window[0] >= window[1]:
            continue
        held = [h for h in held_under(limit, *window) if not exclude(h)]
        for direction in directions:
            if limit.direction in (direction, Direction.BOTH):
                found[(limit.pk, direction)] = _headroom(limit, held, direction, window)
    return found


def held_under(limit: TemporaryLimit, start: datetime, end: datetime) -> list[Held]:
    """What the register holds under a point or area limit somewhere in [start, end)."""
    if limit.target_kind == TargetKind.CONNECTION_POINT:
        return held_at_point(connection_point_id=limit.connection_point_id, start=start, end=end)
    geometry = _area_geometry(limit)  # cached per process, with its bounds (the hot query leaves the box out)
    rows = held_in_box(box=tuple(geometry.bounds), start=start, end=end)
    return [h for h in rows if shapely.intersects_xy(geometry, h.lon, h.lat)]


def _headroom(limit: TemporaryLimit, held: list[Held], direction: str, window) -> Headroom:
    """The most held at once in `window` (cut where a record starts or ends) and who holds it."""
    holdings = holdings_in(held, direction, window)
    most, _at = most_held(holdings, window)
    per_resource: dict[tuple, Decimal] = defaultdict(Decimal)
    for holding in holdings:
        per_resource[holding.resource] = max(per_resource[holding.resource], holding.mw)
    holders = sorted((Holder(key, mw) for key, mw in per_resource.items()), key=lambda x: (-x.mw, x.resource))
    return Headroom(limit=limit, direction=direction, held_mw=most, holders=holders)


def most_held(holdings: list[Holding], window) -> tuple[Decimal, datetime]:
    """The most the holdings hold at once in `window` (cut where one starts or ends), and from when."""
    cuts = sorted({*window, *(t for h in holdings for t in (h.start, h.end) if window[0] < t < window[1])})
    most, at = Decimal(0), window[0]
    for start, end in zip(cuts, cuts[1:], strict=False):
        total = held_in_segment([h for h in holdings if h.start < end and h.end > start])
        if total > most:
            most, at = total, start
    return most, at


def holdings_in(held: list[Held], direction: str, window) -> list[Holding]:
    """One Holding per record that holds something in `direction`: an SPU's record in full, an
    SPG's at most what its members in scope deliver in that direction."""
    records: dict[int, Held] = {}
    members_mw: dict[int, Decimal] = defaultdict(Decimal)
    for h in held:
        if h.direction not in (direction, Direction.BOTH):
            continue
        records[h.record_id] = h
        members_mw[h.record_id] += Decimal(h.up_kw if direction == Direction.UP else h.down_kw) / KW_PER_MW
    holdings = []
    for record_id, h in records.items():
        mw = h.mw if h.kind == "spu" else min(h.mw, members_mw[record_id])
        holdings.append(Holding(
            (0, record_id), h.resource, (h.sender_id, h.system_operator_id), h.record_kind, direction, mw,
            max(h.start, window[0]), min(h.end, window[1]), "", "", h.external_id, h.product_id,
        ))
    return holdings


def limit_cap(limit: TemporaryLimit, direction: str, sums: dict[tuple[int, str], Headroom]) -> Decimal:
    """What a limit lets the resource have in `direction`: a point or area limit its headroom,
    any other limit its quantity."""
    headroom = sums.get((limit.pk, direction))
    return limit.quantity_mw if headroom is None else headroom.mw


HOLDERS_NAMED = 5  # the largest holders an SO reads by name; the rest are counted


def headroom_text(headroom: Headroom, readable: Readable) -> str:
    """The reason naming the limit, what others hold under it and what is left. Holders' names
    (other FSPs' resources) only where `readable.holders` (SOs and the NRA); else a count."""
    limit = headroom.limit
    values = {
        "limit": (_("Temporary limit #%(id)s") % {"id": limit.pk}) if readable.limit(limit)
        else _("A temporary limit of another system operator"),
        "where": _("at the connection point") if limit.target_kind == TargetKind.CONNECTION_POINT
        else _("in the area"),
        "cap": quantity_text(limit.quantity_mw), "dir": headroom.direction,
        "held": quantity_text(headroom.held_mw), "left": quantity_text(headroom.mw),
    }
    if not headroom.holders:
        return _(
            "%(limit)s caps the sum held %(where)s at %(cap)s MW %(dir)s; nothing else is held there in the "
            "period: %(left)s MW left."
        ) % values
    values["holders"] = _holders_text(headroom.holders, readable)
    return _(
        "%(limit)s caps the sum held %(where)s at %(cap)s MW %(dir)s; other resources hold up to %(held)s MW "
        "there in the period (%(holders)s): %(left)s MW left."
    ) % values


def _holders_text(holders: list[Holder], readable: Readable) -> str:
    if not readable.holders:
        return ngettext("%(count)s resource", "%(count)s resources", len(holders)) % {"count": len(holders)}
    names = resource_names({h.resource for h in holders})  # the largest first, ties by name
    ordered = sorted(holders, key=lambda h: (-h.mw, names[h.resource][0]))
    named = [
        _("%(resource)s of %(fsp)s: %(mw)s MW")
        % {"resource": names[h.resource][0], "fsp": names[h.resource][1], "mw": quantity_text(h.mw)}
        for h in ordered[:HOLDERS_NAMED]
    ]
    rest = len(holders) - HOLDERS_NAMED
    if rest > 0:
        named.append(ngettext("%(count)s more", "%(count)s more", rest) % {"count": rest})
    return "; ".join(named)

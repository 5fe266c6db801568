"""Double activation (SPEC R11): what a resource holds, and the registrations that would let it
hold too much.

In one market time unit and direction a resource may not hold more than its capacity across all
markets, nor be activated both up and down. A market is one platform sending for one system
operator: within it an activation draws on what the same market awarded, so a market holds the
larger of its awards and its activations there; across markets the holdings add up. A record
that would break either rule is refused as a conflict naming the first holder (its operator,
product and market time units), preferably one of another market.

The check runs under a lock on the resources' rows (resources_lock): two batches for one
resource take turns, so they cannot both pass on PostgreSQL. SQLite runs one writer at a time.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from common.db import values_in
from prequal.models import Direction, Spg, Spu
from register.models import RecordKind, RecordRevision, RecordStatus
from register.services.parsing import direction_text, max_period, mw_text

BOTH_WAYS = frozenset((Direction.UP, Direction.DOWN))


@dataclass(order=True)
class Holding:
    """One record's hold on a resource. `order`: who came first (held records by id, then the
    batch's by index)."""

    order: tuple[int, int]
    resource: tuple[str, int] = field(compare=False)
    market: tuple[int, int] = field(compare=False)  # (sender, system operator)
    kind: str = field(compare=False)
    direction: str = field(compare=False)
    mw: Decimal = field(compare=False)
    start: datetime = field(compare=False)
    end: datetime = field(compare=False)
    so_name: str = field(compare=False)
    product_code: str = field(compare=False)
    external_id: str = field(compare=False)
    product_id: int = field(compare=False)

    @property
    def record_id(self) -> int | None:
        """The record's id if it is held already (not one of the batch's)."""
        return self.order[1] if self.order[0] == 0 else None

    @property
    def directions(self) -> frozenset[str]:
        return BOTH_WAYS if self.direction == Direction.BOTH else frozenset((self.direction,))


def resources_lock(*, spu_ids: Iterable[int], spg_ids: Iterable[int]) -> None:
    """Lock the resources' rows until the transaction ends, in one order (no deadlock).

    PostgreSQL only: SQLite's transactions (IMMEDIATE) already run one writer at a time.
    """
    if connection.vendor != "postgresql":
        return
    for model, ids in ((Spu, sorted(set(spu_ids))), (Spg, sorted(set(spg_ids)))):
        if ids:
            rows = model.objects.filter(values_in("pk", ids)).order_by("pk").select_for_update()
            list(rows.values_list("pk"))


def holdings_held(
    *, resources: set[tuple[str, int]], start: datetime, end: datetime, exclude_record_ids: set[int]
) -> list[Holding]:
    """The current, active records holding these resources somewhere in [start, end). One query.

    A record covers at most max_period(), so no record starting earlier than that before
    `start` can reach it: on PostgreSQL only the months concerned are read.
    """
    spu_ids = sorted(pk for kind, pk in resources if kind == "spu")
    spg_ids = sorted(pk for kind, pk in resources if kind == "spg")
    if not resources:
        return []
    rows = (
        RecordRevision.objects.filter(Q(values_in("spu_id", spu_ids)) | Q(values_in("spg_id", spg_ids)))
        .filter(is_current=True, status=RecordStatus.ACTIVE, period_start__lt=end, period_end__gt=start,
                period_start__gte=start - max_period())
        .values_list("record_id", "spu_id", "spg_id", "record__sender_id", "record__system_operator_id",
                     "kind", "direction", "quantity_mw", "period_start", "period_end",
                     "record__system_operator__organisation__name", "product__code", "record__external_id",
                     "product_id")
        .order_by()
    )
    held = []
    for record_id, spu_id, spg_id, sender_id, so_id, *rest in rows:
        if record_id in exclude_record_ids:
            continue
        resource = ("spu", spu_id) if spu_id else ("spg", spg_id)
        held.append(Holding((0, record_id), resource, (sender_id, so_id), *rest))
    return held


class _Timeline:
    """One resource's holdings by start, to find those overlapping a period."""

    def __init__(self) -> None:
        self.items: list[tuple[datetime, Holding]] = []
        self.longest = timedelta(0)

    def add(self, holding: Holding) -> None:
        insort(self.items, (holding.start, holding))
        self.longest = max(self.longest, holding.end - holding.start)

    def overlapping(self, start: datetime, end: datetime) -> list[Holding]:
        i = bisect_left(self.items, start - self.longest, key=lambda item: item[0])
        found = []
        while i < len(self.items) and self.items[i][0] < end:
            if self.items[i][1].end > start:
                found.append(self.items[i][1])
            i += 1
        return found


@dataclass
class Refusal:
    """A record of the batch that would break R11: the rule (`reason`: capacity or both_ways),
    the first holder it collides with, and the message naming it."""

    holding: Holding
    first: Holding
    reason: str
    message: str

    @property
    def overlap(self) -> tuple[datetime, datetime]:
        return max(self.first.start, self.holding.start), min(self.first.end, self.holding.end)


def holdings_conflicts(
    *, held: list[Holding], new: list[tuple[Holding, Decimal, Decimal]], label: dict[tuple, str]
) -> dict[int, Refusal]:
    """The batch's records (each with the resource's capacity up and down over its period) that
    would break the rules, by index; the others are counted in for the next ones."""
    timelines: dict[tuple, _Timeline] = defaultdict(_Timeline)
    for holding in held:
        timelines[holding.resource].add(holding)
    conflicts = {}
    for holding, up_mw, down_mw in new:
        timeline = timelines[holding.resource]
        others = timeline.overlapping(holding.start, holding.end)
        refusal = _both_ways(holding, others, label) or _over_capacity(
            holding, others, {Direction.UP: up_mw, Direction.DOWN: down_mw}, label
        )
        if refusal:
            conflicts[holding.order[1]] = refusal
        else:
            timeline.add(holding)
    return conflicts


def _both_ways(holding: Holding, others: list[Holding], label: dict) -> Refusal | None:
    if holding.kind != RecordKind.ACTIVATION:
        return None
    opposite = [o for o in others if o.kind == RecordKind.ACTIVATION and o.direction != holding.direction]
    if not opposite:
        return None
    first = min(opposite)
    message = _(
        "%(resource)s would be activated both up and down: it is already activated %(direction)s for "
        "%(so)s, product %(product)s, %(period)s (record %(external_id)s)."
    ) % {
        "resource": label[holding.resource], "direction": direction_text(first.direction),
        **_named(first, holding),
    }
    return Refusal(holding, first, "both_ways", message)


def _over_capacity(holding: Holding, others: list[Holding], capacity: dict, label: dict) -> Refusal | None:
    for direction in sorted(holding.directions):
        same_way = [o for o in others if direction in o.directions]
        if sum((o.mw for o in same_way), holding.mw) <= capacity[direction]:
            continue  # even all of them added up fit
        for start, end in _segments(holding, same_way):
            covering = [o for o in same_way if o.start < end and o.end > start]
            total = held_in_segment([holding, *covering])
            if total > capacity[direction]:
                first = min(covering, key=lambda o: (o.market == holding.market, o.order))
                message = _(
                    "%(resource)s would hold %(total)s MW %(direction)s from %(from)s, more than its "
                    "capacity of %(capacity)s MW: already held for %(so)s, product %(product)s, "
                    "%(period)s (record %(external_id)s)."
                ) % {
                    "resource": label[holding.resource], "total": mw_text(total),
                    "direction": direction_text(direction), "from": _utc(start),
                    "capacity": mw_text(capacity[direction]), **_named(first, holding),
                }
                return Refusal(holding, first, "capacity", message)
    return None


def _segments(holding: Holding, others: list[Holding]) -> list[tuple[datetime, datetime]]:
    """The holding's period cut where any of the others starts or ends."""
    cuts = {holding.start, holding.end}
    for other in others:
        cuts.update(t for t in (other.start, other.end) if holding.start < t < holding.end)
    ordered = sorted(cuts)
    return list(zip(ordered, ordered[1:], strict=False))


def held_in_segment(holdings: list[Holding]) -> Decimal:
    """What the holdings hold together: per market the larger of its awards and activations."""
    per_market: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for holding in holdings:
        per_market[holding.market][holding.kind == RecordKind.ACTIVATION] += holding.mw
    return sum((max(amounts) for amounts in per_market.values()), Decimal(0))


def _named(first: Holding, holding: Holding) -> dict:
    start, end = max(first.start, holding.start), min(first.end, holding.end)
    return {"so": first.so_name, "product": first.product_code, "period": f"{_utc(start)}–{_utc(end)}",
            "external_id": first.external_id}


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%MZ")

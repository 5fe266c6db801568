"""The register's ingest under point and area limits (SPEC R11): a record that would take the sum
held under a limit on a connection point or an area over the limit is refused as a conflict.

The same rule as the check's headroom (limits.activation.headroom: what counts where, per market
the larger of awards and activations, market time unit by market time unit), applied to every
record of a batch in order: each one that fits counts for the next. Handed to the register
(register.sum_guard) from LimitsConfig.ready(). The ingest calls the guard before locking its
resources; the guard finds the point and area limits in force over the batch's period (one
query; such limits are few), the points where the batch's resources lie (one query for SPUs,
one for SPG members), takes the limits' advisory locks (as a reservation does) and returns the
check. Then one read of the register per limit concerned.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import shapely
from django.db.models import Q
from django.utils.translation import gettext as _

from limits.activation.headroom import (
    KW_PER_MW,
    SUM_KINDS,
    headroom_lock,
    held_under,
    holdings_in,
    most_held,
)
from limits.activation.limit_lookup import _area_geometry
from limits.models import TargetKind, TemporaryLimit
from limits.periods import limit_applies_during_q
from prequal.models import Direction, SpgMembership, Spu
from register.services.holdings import Holding
from register.services.parsing import mw_text
from register.sum_guard import Placed, SumCheck, sum_guard_set

# Where a resource lies: (point id, lon, lat, up kW, down kW) per SPU (an SPG: per member).
Place = tuple[int, float, float, Decimal, Decimal]


def sum_guard_hand_over() -> None:
    """The register's ingest checks point and area limits by this module (LimitsConfig.ready)."""
    sum_guard_set(records_sum_guard)


def records_sum_guard(*, records: list[Placed]) -> SumCheck | None:
    """Lock the point and area limits the records fall under; the check, or None."""
    start, end = min(r[2] for r in records), max(r[3] for r in records)
    limits = list(
        TemporaryLimit.objects.filter(limit_applies_during_q(start, end), target_kind__in=SUM_KINDS)
        .defer("area_geojson").order_by("pk")
    )
    if not limits:
        return None
    places = _places(records, start=start, end=end)
    under: dict[int, list[int]] = defaultdict(list)
    for limit in limits:
        for index, resource, r_start, r_end in records:
            if r_start < limit.effective_end and r_end > limit.start and any(
                _covers(limit, place) for place in places.get(resource, ())
            ):
                under[limit.pk].append(index)
    if not under:
        return None
    headroom_lock(limit_ids=under)
    by_pk = {limit.pk: limit for limit in limits if limit.pk in under}

    def check(*, new: list[Holding], exclude_record_ids: set[int]) -> dict[int, str]:
        return _refusals(by_pk, under, places, new, exclude_record_ids)

    return check


def _places(records: list[Placed], *, start: datetime, end: datetime) -> dict[tuple[str, int], list[Place]]:
    spu_ids = sorted({pk for _i, (kind, pk), _s, _e in records if kind == "spu"})
    spg_ids = sorted({pk for _i, (kind, pk), _s, _e in records if kind == "spg"})
    places: dict[tuple[str, int], list[Place]] = defaultdict(list)
    point = ("connection_point_id", "connection_point__longitude", "connection_point__latitude",
             "max_up_kw", "max_down_kw")
    for pk, *place in Spu.objects.filter(pk__in=spu_ids).values_list("pk", *point):
        places[("spu", pk)].append(tuple(place))
    members = SpgMembership.objects.filter(spg_id__in=spg_ids, valid_from__lt=end).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=start)
    )
    for spg_id, *place in members.values_list("spg_id", *(f"spu__{name}" for name in point)):
        places[("spg", spg_id)].append(tuple(place))
    return places


def _covers(limit: TemporaryLimit, place: Place) -> bool:
    point_id, lon, lat, _up, _down = place
    if limit.target_kind == TargetKind.CONNECTION_POINT:
        return limit.connection_point_id == point_id
    return bool(shapely.intersects_xy(_area_geometry(limit), lon, lat))


def _refusals(
    limits: dict, under: dict, places: dict, new: list[Holding], exclude: set[int]
) -> dict[int, str]:
    """The batch's records (in order) that would take a sum over its limit, with the message.
    A batch is all or nothing, so one refused record refuses it: the others' messages say more."""
    refused: dict[int, str] = {}
    by_index = {holding.order[1]: holding for holding in new}
    for pk, indexes in under.items():
        limit = limits[pk]
        mine = [by_index[i] for i in indexes if i in by_index]
        if not mine:
            continue
        window = (
            max(limit.start, min(h.start for h in mine)), min(limit.effective_end, max(h.end for h in mine))
        )
        held = [h for h in held_under(limit, *window) if h.record_id not in exclude]
        for direction in (Direction.UP, Direction.DOWN):
            if limit.direction not in (direction, Direction.BOTH):
                continue
            holdings = holdings_in(held, direction, window)
            for holding in sorted(mine):
                if holding.order[1] in refused or direction not in holding.directions:
                    continue
                share = _share(holding, direction, places, limit, window)
                total, at = most_held([*holdings, share], (share.start, share.end))
                if total > limit.quantity_mw:
                    refused[holding.order[1]] = _message(limit, direction, total, at)
                else:
                    holdings.append(share)
    return refused


def _share(holding: Holding, direction: str, places: dict, limit, window) -> Holding:
    """The part of a new record held under the limit (an SPG: at most its members there deliver)."""
    mw = holding.mw
    if holding.resource[0] == "spg":
        inside = [p for p in places[holding.resource] if _covers(limit, p)]
        deliverable = sum((Decimal(p[3] if direction == Direction.UP else p[4]) for p in inside), Decimal(0))
        mw = min(mw, deliverable / KW_PER_MW)
    return Holding(
        holding.order, holding.resource, holding.market, holding.kind, direction, mw,
        max(holding.start, window[0]), min(holding.end, window[1]), holding.so_name, holding.product_code,
        holding.external_id, holding.product_id,
    )


def _message(limit: TemporaryLimit, direction: str, total: Decimal, at: datetime) -> str:
    values = {
        "id": limit.pk, "cap": mw_text(limit.quantity_mw), "dir": direction, "total": mw_text(total),
        "from": at.strftime("%Y-%m-%d %H:%MZ"),
        "where": _("at the connection point") if limit.target_kind == TargetKind.CONNECTION_POINT
        else _("in the area"),
    }
    return _(
        "Temporary limit #%(id)s caps the sum held %(where)s at %(cap)s MW %(dir)s: with this record "
        "%(total)s MW would be held there from %(from)s."
    ) % values

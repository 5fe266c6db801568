"""Double activation in the activation check (SPEC R11, extending R8).

The register refuses a record that would let a resource hold, in one market time unit, more
than its capacity in a direction across all markets, or activations in both directions
(register.services.holdings, the one home of that rule). The check asks the same question of
what it is asked (resource, direction, MW, period) before anything is registered: were it
registered now, would the register refuse it? If so the answer is red, with the register's
reason naming the first holder (its system operator, product and market time units).

What is asked counts as an activation by the caller's market (the caller sending for the
operator asked as: within one market the larger of awards and activations counts); a
reservation (limits.activation.reserve) asks as the award it registers, without the record it
revises. Without a sender (a call with no market behind it: an SO's page, a service call), what
is asked may draw on any one market's awards: red only when every market holding the resource
would be refused it. The records read are the resource's own (an SPU's or an SPG's), so the reason names
no other resource: names of other FSPs' resources are never shown here.

The capacity is the one the check gives the resource: an SPU's maximum, an SPG's members that
count (limits.activation.members). With `lock` (a reservation) the resource's row is locked
first (register.services.holdings.resources_lock, after the headroom's locks: the register's
order), so a concurrent batch for the same resource waits until the reservation commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from prequal.models import Spu
from register.models import RecordKind
from register.selectors_held import holding_names_add, holdings_of
from register.services.holdings import Holding, Refusal, holdings_conflicts, resources_lock

KW_PER_MW = Decimal(1000)


@dataclass(frozen=True)
class Asked:
    """What the check is asked, as the register would hold it: the caller's market (sender id,
    operator id), the kind (an activation; a reservation registers an award) and, for a
    reservation, its external id (its earlier revision does not count against it)."""

    sender_id: int | None
    system_operator_id: int
    kind: str = RecordKind.ACTIVATION
    external_id: str = ""


def double_activation(
    *, asked: Asked, resource, product, label: str, members, direction: str, quantity_mw: Decimal,
    start: datetime, end: datetime, lock: bool = False,
) -> Refusal | None:
    """The register's refusal of what is asked (capacity or both ways), or None. One prepared
    statement (a second, for the first holder's names, only when refused); none when the
    resource came with its holdings for this period (`prefetched_holdings`: the resource's own
    statement read them, limits.activation.access) and nothing is locked."""
    key = ("spu" if isinstance(resource, Spu) else "spg", resource.pk)
    if lock:
        ids = {"spu": [], "spg": [], key[0]: [key[1]]}
        resources_lock(spu_ids=ids["spu"], spg_ids=ids["spg"])
    market = (asked.sender_id or 0, asked.system_operator_id)
    prefetched = None if lock else getattr(resource, "prefetched_holdings", None)  # access.py's fold
    held = [
        h for h in (prefetched[1] if prefetched is not None and prefetched[0] == (start, end)
                    else holdings_of(resource=key, start=start, end=end))
        if not (asked.external_id and h.market == market and h.external_id == asked.external_id)
    ]
    if not held:
        return None
    capacity = _capacity(resource, members)
    # More than the resource offers is the capacity's answer (limits.activation.direction), not a
    # double activation: what it could deliver at most is what may collide.
    up_mw, down_mw = capacity
    quantity_mw = min(quantity_mw, {"up": up_mw, "down": down_mw}.get(direction, min(up_mw, down_mw)))
    refusal = None
    for candidate in [market] if asked.sender_id else sorted({h.market for h in held}):
        holding = Holding(
            (1, 0), key, candidate, asked.kind, direction, quantity_mw, start, end, "", product.code,
            asked.external_id, product.pk,
        )
        refusal = holdings_conflicts(held=held, new=[(holding, *capacity)], label={key: label}).get(0)
        if refusal is None:
            return None
    holding_names_add(refusal.first)  # the rule is deterministic: the same refusal, now with names
    return holdings_conflicts(held=held, new=[(refusal.holding, *capacity)], label={key: label})[0]


def _capacity(resource, members) -> tuple[Decimal, Decimal]:
    """(up, down) in MW: an SPU's maximum, or the sum of an SPG's members that count."""
    if members is None:
        return resource.max_up_kw / KW_PER_MW, resource.max_down_kw / KW_PER_MW
    up = sum((Decimal(m[2]) for m in members), Decimal(0)) / KW_PER_MW
    down = sum((Decimal(m[3]) for m in members), Decimal(0)) / KW_PER_MW
    return up, down


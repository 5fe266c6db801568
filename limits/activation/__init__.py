"""The activation check, or traffic light (SPEC R8): may SO X activate SPU/SPG Y for product P,
direction D, Q MW, over [start, end)?

- red: the resource is not prequalified for the product (no case, not decided yet, not
  approved, expired, withdrawn, or its validity ends within the period), or something blocks
  it in the period: a limit of 0 MW, a condition time window that forbids the period (a
  condition without caps), or nothing left of the capacity, or a double activation (SPEC
  R11: what is asked would make the resource hold more than its capacity in a market time unit
  across all markets, or activations both ways; double.py, the register's rule).
- yellow: allowed, but a condition (cap or time window) or a temporary limit applies in the
  period, or the requested quantity is above the largest allowed quantity (which is then
  reported in max_quantity_mw; when that maximum is 0 the answer is red instead).
  A published congestion forecast of likely or certain congestion in a grid zone around the
  resource, in the direction and period, makes a green answer yellow (forecast.py); it never
  makes one red nor changes the largest allowed quantity.
- green: prequalified, no condition or limit applies in the period, and no forecast says
  congestion is likely or certain.

The largest allowed quantity, per direction, is the minimum over the period of: the
resource's capacity (SPU: its max up/down; SPG: see below), every condition cap that applies
at some instant of the period, and every temporary limit that overlaps the period on the
resource, its connection point, or an area polygon containing that point. A condition or
limit that applies to only part of the period still bounds the whole period (an activation
must hold throughout). For direction "both" the directions are checked one by one and the
stricter answer wins.

SPG rule: the group delivers what its members can deliver. Each member whose membership
covers the whole period contributes its own capacity, reduced by the limits on that member
(on the SPU, its connection point, or an area containing the point): a member limited to
L MW contributes min(capacity, L), so the group's capacity drops by what that member can no
longer deliver. The group's available capacity is the sum of the contributions; the SPG's own
conditions and limits then cap that sum. Members joining or leaving during the period do not
count.

SPG members left out by an approval, or that joined during a re-assessment, do not count
(members.py). Who may ask, as which operator, about what, and what of the answer they read
(SPEC §4): access.py.

Speed (SPEC §7): the check runs a handful of indexed queries (the case, its conditions when
the outcome is conditional, the limits in one OR query over partial indexes, for an SPG its
members, what the register holds for the resource, and per point or area limit what is held
under it); area polygons are parsed once per process and cached.
"""

# The package's public names, importable as before from limits.activation.

from limits.activation.case_lookup import NOT_PREQUALIFIED
from limits.activation.check import MAX_CHECK_DAYS, activation_check, activation_check_validate
from limits.activation.direction import KW_PER_MW
from limits.activation.limit_lookup import limits_overlapping, spu_point
from limits.activation.time_windows import condition_applies_during
from limits.activation.verdict import GREEN, RED, YELLOW, Verdict

__all__ = [
    "activation_check",
    "activation_check_validate",
    "condition_applies_during",
    "GREEN",
    "KW_PER_MW",
    "limits_overlapping",
    "MAX_CHECK_DAYS",
    "NOT_PREQUALIFIED",
    "RED",
    "spu_point",
    "Verdict",
    "YELLOW",
]

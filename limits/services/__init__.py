"""Temporary limits (SPEC R7): publishing, changing and lifting them, and the publication rule.

Rules:
- Only an engineer of the issuing SO writes its limits (else PermissionDenied).
- The target must lie in the SO's grid: a connection point it connects or whose location lies
  in its current observability area; an SPU at such a point; an SPG with a current member at
  such a point; a polygon intersecting its current observability area (stored clipped to it).
- Publication (R7): the latest allowed publication time is, for every product the target is
  prequalified for, the delivery start of the first market time unit the limit affects minus
  the product's gate closure minus 60 minutes; the earliest across products binds. With
  nothing prequalified, 1 hour before the start. A late limit is refused (and the refusal is
  recorded for the annual report); a limit longer than GRIDPREQUAL_LIMIT_MAX_DAYS is refused.
- A change that tightens a limit (less MW, a wider direction, an earlier start) is published
  anew: the rule applies from its (new) start; extending the end applies from the old end.
  Relaxing a limit (more MW, a shorter period) and lifting are always allowed.

- A limit above its target's capacity is stored but flagged: it has no effect (capacity.py).

Bad input raises ValidationError with a message per field and stores nothing. Notifications
to the FSPs concerned go out after commit.
"""

# The package's public names, importable as before from limits.services.

from limits.services.capacity import (
    CapacityFlag,
    limit_capacity_check,
    limit_capacity_flag,
    limit_capacity_flag_for_user,
    target_capacity_mw,
)
from limits.services.changes import limit_lift, limit_update
from limits.services.checks import LimitPreview, directions_offered, limit_preview, limit_values_errors
from limits.services.publishing import fsp_ids_concerned, limit_create
from limits.services.rules import (
    PUBLICATION_MARGIN,
    Publication,
    limit_max_days,
    limit_publication,
    local_time_label,
    mtu_start,
    products_prequalified,
)
from limits.services.targets import (
    TARGET_INPUT_FIELDS,
    Target,
    affected_fsp_ids,
    area_geometry_parse,
    area_points,
    current_area_geometry,
    limit_target,
    limit_target_find,
    point_in_grid,
    target_check,
)
from limits.services.trail import limit_snapshot

__all__ = [
    "CapacityFlag",
    "LimitPreview",
    "limit_capacity_check",
    "limit_capacity_flag",
    "limit_capacity_flag_for_user",
    "target_capacity_mw",
    "affected_fsp_ids",
    "area_geometry_parse",
    "area_points",
    "current_area_geometry",
    "directions_offered",
    "fsp_ids_concerned",
    "limit_create",
    "limit_lift",
    "limit_max_days",
    "limit_preview",
    "limit_publication",
    "limit_snapshot",
    "limit_target",
    "limit_target_find",
    "limit_update",
    "limit_values_errors",
    "local_time_label",
    "mtu_start",
    "point_in_grid",
    "products_prequalified",
    "Publication",
    "PUBLICATION_MARGIN",
    "Target",
    "TARGET_INPUT_FIELDS",
    "target_check",
]

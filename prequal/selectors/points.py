"""Who assesses connection points (SPEC R1), in the rows the point page and the API both show."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from observability.models import ConnectionPoint, SystemOperator
from observability.resolver import Reason, assessing_sos_for_points
from observability.selectors import area_list_for_user, system_operator_list

_REASON_ORDER = [r.value for r in Reason]


def assessing_so_rows(
    *,
    points: Sequence[ConnectionPoint],
    procuring_so: SystemOperator | None = None,
    at: datetime | None = None,
    user=None,
) -> dict[int, list[dict]]:
    """Per connection point id, one row per assessing SO: observability's resolver plus the
    product's procuring SO, in a constant number of queries.

    A row: `so` (the operator), `reason_codes` (Reason values in the rule's order: connecting,
    area, procuring) and `reasons` (their labels), `area_version_ids` (ascending). With `user`,
    also `areas`: the area versions behind the row that the user may read, by id.
    """
    points = list(points)
    result = assessing_sos_for_points(points=points, procuring_so=procuring_so, at=at)
    entries = [e for point in points for e in result[point.pk]]
    operators = {
        so.pk: so for so in system_operator_list().filter(pk__in={e.system_operator_id for e in entries})
    }
    areas = {}
    if user is not None:
        area_ids = {a for e in entries for a in e.area_version_ids}
        areas = {a.pk: a for a in area_list_for_user(user=user).filter(pk__in=area_ids)}
    rows = {}
    for point in points:
        rows[point.pk] = []
        for entry in result[point.pk]:
            codes = sorted(entry.reasons, key=_REASON_ORDER.index)
            row = {
                "so": operators[entry.system_operator_id],
                "reason_codes": codes,
                "reasons": [Reason(r).label for r in codes],
                "area_version_ids": sorted(entry.area_version_ids),
            }
            if user is not None:
                row["areas"] = [areas[a] for a in row["area_version_ids"] if a in areas]
            rows[point.pk].append(row)
    return rows

"""Which open cases a new observability-area version touches (read by the area preview).

observability.area_impact states the rule (open cases keep their round's assessing SOs) and asks
this provider, added in PrequalConfig.ready, for the cases: cases are prequal's.
"""

from __future__ import annotations

import numpy as np
from django.db.models import F, Q
from django.utils import timezone

from observability.area_impact import CaseImpact, Covers, area_case_impact_add
from observability.models import SystemOperator
from observability.resolver import Reason
from prequal.models import Assessment, Case, SpgMembership


def _open_case_points() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(case id, lon, lat) of every point of every open case: SPU cases and SPGs' current members."""
    open_cases = Case.objects.filter(status__in=Case.UNDECIDED)
    spu_rows = open_cases.filter(spu__isnull=False).values_list(
        "id", "spu__connection_point__longitude", "spu__connection_point__latitude"
    )
    spg_rows = (
        SpgMembership.objects.filter(spg__cases__status__in=Case.UNDECIDED)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=timezone.now()))
        .values_list("spg__cases__id", "spu__connection_point__longitude", "spu__connection_point__latitude")
    )
    rows = np.array([*spu_rows.iterator(chunk_size=20_000), *spg_rows.iterator(chunk_size=20_000)],
                    dtype=float).reshape(-1, 3)
    return rows[:, 0].astype(np.int64), rows[:, 1], rows[:, 2]


def open_cases_area_impact(*, system_operator: SystemOperator, covers: Covers) -> CaseImpact:
    """Open cases that would gain this SO (a point inside the new area, the SO not assessing) or
    lose it (the SO assesses only for its area, and no point of the case is inside the new area)."""
    case_ids, lon, lat = _open_case_points()
    inside = covers(lon, lat)
    with_point_inside = set(np.unique(case_ids[inside]).tolist())
    assessing = dict(
        Assessment.objects.filter(
            system_operator=system_operator, case__status__in=Case.UNDECIDED, round=F("case__round")
        ).values_list("case_id", "reasons")
    )
    gain = sorted(with_point_inside - set(assessing))
    lose = sorted(
        case_id for case_id, reasons in assessing.items()
        if set(reasons) == {str(Reason.OBSERVABILITY_AREA)} and case_id not in with_point_inside
    )
    labels = {
        c.pk: str(c)
        for c in Case.objects.filter(Q(pk__in=gain[:50]) | Q(pk__in=lose[:50])).select_related(
            "spu", "spg", "product"
        )
    }
    return CaseImpact(
        gain_count=len(gain), lose_count=len(lose),
        gain=[{"id": pk, "label": labels.get(pk, f"#{pk}")} for pk in gain[:50]],
        lose=[{"id": pk, "label": labels.get(pk, f"#{pk}")} for pk in lose[:50]],
    )


def area_case_impact_register() -> None:
    """Add the provider to observability's preview (PrequalConfig.ready)."""
    area_case_impact_add(open_cases_area_impact)

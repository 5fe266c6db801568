"""What a new observability-area version would change, shown before the engineer confirms it.

The rule for open cases (SPEC R1 read with R2), stated once here and shown on the preview page:
R1's assessing SOs are those whose observability area is *current* when a case's assessment
round opens (on submission, after completion, or on re-assessment after a material change).
A new area version therefore changes no open case: open cases keep the assessing SOs of their
round, and the new version applies to every round that opens from its "valid from" on. The
preview lists the open cases whose assessing SOs would gain or lose this operator if their
round opened under the new version.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.utils.translation import gettext_lazy as _

from observability.models import ConnectionPoint, ObservabilityArea, SystemOperator

# The rule above, shown on the preview page and in the API answer.
OPEN_CASES_RULE = _(
    "Open cases keep the assessing operators of their current round: a new area version applies "
    "to cases submitted, completed or re-assessed from its 'valid from' on (SPEC R1: the areas "
    "current when the round opens decide)."
)
# Above this share of the operator's points leaving its area, the preview warns loudly.
MOST_POINTS_LEAVE = 0.5
# The open cases listed by name on the preview (all are counted).
CASES_LISTED = 50
FETCH_CHUNK = 50_000

# Covers(lon, lat) → bool array: is each WGS84 point inside (or on the edge of) the new area?
Covers = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass
class CaseImpact:
    """Open cases that would gain or lose the operator as assessor (counts, and the first few)."""

    gain_count: int = 0
    lose_count: int = 0
    gain: list[dict] = field(default_factory=list)  # {"id", "label"}
    lose: list[dict] = field(default_factory=list)


# Added by apps above observability (prequal, in PrequalConfig.ready): cases are theirs.
_CASE_IMPACT: list[Callable[..., CaseImpact]] = []


def area_case_impact_add(provider: Callable[..., CaseImpact]) -> None:
    """provider(system_operator=, covers=) → CaseImpact; called for every preview."""
    if provider not in _CASE_IMPACT:
        _CASE_IMPACT.append(provider)


def _point_arrays(*, bounds) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(id, lon, lat, connecting SO id) of every point in the bounding box, fetched in chunks."""
    min_lon, min_lat, max_lon, max_lat = bounds
    rows = ConnectionPoint.objects.filter(
        longitude__gte=min_lon, longitude__lte=max_lon, latitude__gte=min_lat, latitude__lte=max_lat
    ).values_list("id", "longitude", "latitude", "connecting_so_id")
    # Straight into one array, a chunk of rows at a time (no million tuples held at once).
    flat = np.fromiter(itertools.chain.from_iterable(rows.iterator(chunk_size=FETCH_CHUNK)), dtype=float)
    table = flat.reshape(-1, 4)
    return table[:, 0].astype(np.int64), table[:, 1], table[:, 2], table[:, 3].astype(np.int64)


def _covers(geometry) -> Covers:
    if geometry is None:
        return lambda lon, lat: np.zeros(np.asarray(lon).size, dtype=bool)
    shapely.prepare(geometry)
    return lambda lon, lat: shapely.intersects_xy(geometry, np.asarray(lon, float), np.asarray(lat, float))


def _union_bounds(*geometries) -> tuple[float, float, float, float]:
    boxes = np.array([g.bounds for g in geometries if g is not None])
    return (boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max())


def area_change_impact(*, system_operator: SystemOperator, geometry, at=None) -> dict:
    """Points entering and leaving the operator's area, open cases gaining or losing it as assessor.

    Vectorised (one prepared polygon against arrays of coordinates), so it holds at SPEC §7's
    million points. `warning` is set when most of the points now in the area would leave it
    (or, for an operator without an area yet, most of its own connection points lie outside).
    """
    current = ObservabilityArea.objects.current(at=at).filter(system_operator=system_operator).first()
    old = current.geometry if current is not None else None
    _ids, lon, lat, connecting = _point_arrays(bounds=_union_bounds(geometry, old))
    covers_new = _covers(geometry)
    inside_new, inside_old = covers_new(lon, lat), _covers(old)(lon, lat)
    entering = int((inside_new & ~inside_old).sum())
    leaving = int((inside_old & ~inside_new).sum())
    if current is not None:
        basis, gone = int(inside_old.sum()), leaving
    else:
        own = connecting == system_operator.pk
        basis = int(ConnectionPoint.objects.filter(connecting_so=system_operator).count())
        gone = basis - int((own & inside_new).sum())
    cases = CaseImpact()
    for provider in _CASE_IMPACT:
        cases = provider(system_operator=system_operator, covers=covers_new)
    return {
        "current_version": current.pk if current is not None else None,
        "points_entering": entering,
        "points_leaving": leaving,
        "points_staying": int((inside_old & inside_new).sum()),
        "points_basis": basis,
        "points_basis_leaving": gone,
        "warning": bool(basis and gone / basis > MOST_POINTS_LEAVE),
        "cases_gain_count": cases.gain_count,
        "cases_lose_count": cases.lose_count,
        "cases_gain": cases.gain[:CASES_LISTED],
        "cases_lose": cases.lose[:CASES_LISTED],
        "open_cases_rule": str(OPEN_CASES_RULE),
    }

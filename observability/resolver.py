"""Who assesses (SPEC R1): the system operators that must assess a set of connection points.

Read by the prequalification workflow when a case is submitted, and by the API and the
case page to explain *why* each SO assesses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from observability.models import ConnectionPoint, SystemOperator


class Reason(models.TextChoices):
    CONNECTING = "connecting", _("Connecting SO")
    OBSERVABILITY_AREA = "observability_area", _("Observability area")
    PROCURING = "procuring", _("Procuring SO")


@dataclass
class AssessingSo:
    """One SO that assesses, with every reason it was added (each SO appears once)."""

    system_operator_id: int
    reasons: set[str] = field(default_factory=set)
    # The observability-area versions whose polygons contain one of the points.
    area_version_ids: set[int] = field(default_factory=set)
    # The connection points (ids) that brought this SO in.
    connection_point_ids: set[int] = field(default_factory=set)


def assessing_sos(
    *,
    points: Sequence[ConnectionPoint],
    procuring_so: SystemOperator | None = None,
    at: datetime | None = None,
) -> list[AssessingSo]:
    """The assessing SOs for these connection points (and product's procuring SO).

    Returned in a stable order: by system operator id.
    """
    found: dict[int, AssessingSo] = {}

    def add(so_id: int, reason: str, *, point_id: int | None = None, area_version_id=None):
        entry = found.setdefault(so_id, AssessingSo(system_operator_id=so_id))
        entry.reasons.add(reason)
        if point_id is not None:
            entry.connection_point_ids.add(point_id)
        if area_version_id is not None:
            entry.area_version_ids.add(area_version_id)

    for point in points:
        add(point.connecting_so_id, Reason.CONNECTING, point_id=point.pk)
    for point_id, so_id, area_version_id in _area_hits(points=points, at=at):
        add(so_id, Reason.OBSERVABILITY_AREA, point_id=point_id, area_version_id=area_version_id)
    if procuring_so is not None:
        add(procuring_so.pk, Reason.PROCURING)
    return [found[k] for k in sorted(found)]


def _area_hits(
    *, points: Iterable[ConnectionPoint], at: datetime | None
) -> Iterable[tuple[int, int, int]]:
    """(connection point id, SO id, area version id) for every current area containing a point.

    Observability areas are built by the observability-area work; until an SO has uploaded
    an area, only the connecting and procuring SOs assess.
    """
    return []

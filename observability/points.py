"""Is a new connection point plausible? (issue 13) In a bidding zone of its connecting SO, and
inside that SO's current observability area unless a person confirms the place with a reason.

One rule for every way a point is registered: observability.services for the SPU form and API
(one point), prequal.imports for a CSV file (built once, asked per row).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import shapely
from django.utils import timezone
from django.utils.translation import gettext as _

from observability.models import SystemOperator
from observability.resolver import area_index

# Keys of the problems: the form's and the API's field names.
LOCATION = "confirm_outside_area"
ZONE = "bidding_zone"


class PointChecks:
    """The operators' zones and current areas, read once (one query and the cached area index)."""

    def __init__(self, *, at: datetime | None = None) -> None:
        self.at = at or timezone.now()
        self.zones: dict[int, list[str]] = {}
        self.names: dict[int, str] = {}
        for so_id, zones, name in SystemOperator.objects.values_list(
            "pk", "bidding_zones", "organisation__name"
        ):
            self.zones[so_id] = [z for z in (p.strip().upper() for p in zones.split(",")) if z]
            self.names[so_id] = name
        index = area_index()
        t = int(round(self.at.timestamp() * 1_000_000))
        current = (index.valid_from <= t) & (t < index.valid_until)
        # Per operator, its current area version(s): a few polygons, prepared by the index.
        self.areas: dict[int, list] = {}
        for position in np.flatnonzero(current):
            self.areas.setdefault(int(index.so_ids[position]), []).append(index.geometries[position])

    def _inside(self, so_id: int, lon: float, lat: float) -> bool:
        return any(shapely.intersects_xy(area, lon, lat) for area in self.areas[so_id])

    def problems(self, *, so_id: int, lon: float, lat: float, bidding_zone: str) -> dict[str, list[str]]:
        """What is implausible about a new point, by field; empty when nothing is.

        An operator without zones or without a current area is not checked on that count.
        """
        errors: dict[str, list[str]] = {}
        zones = self.zones.get(so_id)
        if zones and bidding_zone not in zones:
            errors[ZONE] = [_(
                "%(so)s's grid lies in bidding zone %(zones)s, not %(zone)s: check the zone "
                "and the connecting system operator."
            ) % {"so": self.names[so_id], "zones": ", ".join(zones), "zone": bidding_zone}]
        if so_id in self.areas and not self._inside(so_id, lon, lat):
            if self._inside(so_id, lat, lon):
                message = _(
                    "The location (latitude %(lat)s, longitude %(lon)s) lies outside the "
                    "observability area of %(so)s; with x and y swapped it would lie inside: "
                    "check the order of the coordinates."
                )
            else:
                message = _(
                    "The location (latitude %(lat)s, longitude %(lon)s) lies outside the "
                    "observability area of %(so)s, its connecting system operator. Check the "
                    "coordinates and the operator, or confirm the location with a reason."
                )
            errors[LOCATION] = [message % {
                "lat": f"{lat:.5f}", "lon": f"{lon:.5f}", "so": self.names[so_id]}]
        return errors

    def row_problems(self, *, so_id: int, lon: float, lat: float, bidding_zone: str, error) -> None:
        """The CSV import's call: each problem to `error(column, message)`; a file confirms nothing."""
        for key, messages in self.problems(so_id=so_id, lon=lon, lat=lat, bidding_zone=bidding_zone).items():
            for message in messages:
                error("x, y" if key == LOCATION else key, message)

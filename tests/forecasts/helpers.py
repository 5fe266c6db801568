"""The forecast world (read by tests/forecasts/ and the permission matrix): on the grid world
(tests/grid.py), the local DSO's zones NORTH (around `grid.cp`, where FSP A's SPU sits) and SOUTH
(in its area, away from the point), and the other local DSO's whole area as zone GBG.

PUBLISH_AT is a day after the grid is set up; DAY is the delivery day after it (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import time_machine
from shapely.geometry import box

from forecasts.models import GridZone
from forecasts.services import grid_zone_upload, publication_create
from tests.gis import geojson_file
from tests.grid import SETUP_TIME

NORTH_BOX = box(17.9, 59.25, 18.2, 59.45)  # contains grid.cp (18.06, 59.33)
SOUTH_BOX = box(17.6, 59.0, 17.9, 59.2)
PUBLISH_AT = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
DAY = datetime(2027, 1, 6, 0, 0, tzinfo=UTC)


@dataclass
class Zones:
    north: GridZone
    south: GridZone
    gbg: GridZone


def make_zones(cast) -> Zones:
    """Needs the grid world's areas (the `grid` fixture)."""
    with time_machine.travel(SETUP_TIME + timedelta(minutes=5), tick=False):
        north = grid_zone_upload(
            user=cast.local_engineer,
            system_operator=cast.local,
            code="NORTH",
            name="North substation",
            file=geojson_file(NORTH_BOX),
            filename="north.geojson",
        )
        south = grid_zone_upload(
            user=cast.local_engineer,
            system_operator=cast.local,
            code="SOUTH",
            name="South feeders",
            file=geojson_file(SOUTH_BOX),
            filename="south.geojson",
        )
        gbg = grid_zone_upload(
            user=cast.other_local_engineer,
            system_operator=cast.other_local,
            code="GBG",
            name="Gothenburg",
            whole_area=True,
        )
    return Zones(north=north.zone, south=south.zone, gbg=gbg.zone)


def row(zone="NORTH", start=DAY, direction="up", headroom_mw="5", level="none") -> dict:
    return {
        "zone": zone,
        "start": start if isinstance(start, str) else start.isoformat(),
        "direction": direction,
        "headroom_mw": headroom_mw,
        "level": level,
    }


def day_rows(
    zone="NORTH", *, start=DAY, hours=2, mtu=60, level="none", headroom_mw="5"
) -> list[dict]:
    count = hours * 60 // mtu
    return [
        row(zone, start + timedelta(minutes=mtu * i), direction, headroom_mw, level)
        for i in range(count)
        for direction in ("up", "down")
    ]


def publish(cast, rows, *, at=PUBLISH_AT, horizon="day_ahead", mtu=60, so=None, user=None):
    with time_machine.travel(at, tick=False):
        return publication_create(
            user=user or cast.local_engineer,
            system_operator=so or cast.local,
            horizon=horizon,
            mtu_minutes=mtu,
            rows=rows,
        )

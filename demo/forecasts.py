"""Congestion forecasts for the demo (issue 16): grid zones of two demo DSOs and their forecasts for
the next two days, with some congestion over zones where demo units connect.

- Mälarenergi (local DSO, Västerås): the supply area of its northern substation and its southern
  feeder group (the two halves of its area); Vattenfall (regional DSO): its Mälardalen 130 kV
  area (its area around Västerås and Sala).
- Published by the operators' demo engineers: a day-ahead forecast (60 minutes) for the two local
  days after today, and an intraday one (15 minutes) for the rest of today. The evening peak
  makes the northern substation's upward headroom likely congested (certain at 18:00);
  the midday sun the southern feeders' downward headroom; the regional area is possibly congested
  in the evening.

Idempotent: zones are made when missing; forecasts are published when the operator has none
reaching a day ahead of now (so a demo started on another day gets fresh ones).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import shapely
from django.db import transaction
from django.utils import timezone
from shapely.geometry import box

from accounts.models import Membership
from demo import sweden
from demo.areas import DEMO_AREA_VALID_FROM
from forecasts.models import GridZone, Publication
from forecasts.services import grid_zone_version_store, publication_create
from observability.area_geometry import area_geometry_from_shape
from observability.models import ObservabilityArea, SystemOperator

MALARENERGI = "Mälarenergi Elnät"
VATTENFALL = sweden.VATTENFALL
# (operator, code, name, the box the zone is cut from the operator's area with: lon/lat)
ZONES = (
    (MALARENERGI, "VST-N", "Västerås norra fördelningsstation", (16.0, 59.6099, 17.2, 60.0)),
    (MALARENERGI, "VST-S", "Västerås södra matargrupp", (16.0, 59.3, 17.2, 59.6099)),
    (VATTENFALL, "MLD-130", "Mälardalen 130 kV", (15.8, 59.3, 17.4, 60.3)),
)
# (zone code, direction) → {local hour: level}; other hours: none.
CONGESTION = {
    ("VST-N", "up"): {7: "possible", 8: "possible", 17: "likely", 18: "certain", 19: "likely"},
    ("VST-S", "down"): {11: "possible", 12: "likely", 13: "likely", 14: "possible"},
    ("MLD-130", "up"): {17: "possible", 18: "possible"},
}
HEADROOM_MW = {"none": "12", "possible": "6", "likely": "2", "certain": "0"}


def _engineer(so: SystemOperator):
    membership = (
        Membership.objects.filter(organisation=so.organisation, role=Membership.Role.SO_ENGINEER)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def _zones_load(operators: dict[str, SystemOperator]) -> int:
    created = 0
    for operator, code, name, bounds in ZONES:
        so = operators[operator]
        if GridZone.objects.filter(system_operator=so, code=code).exists():
            continue
        area = ObservabilityArea.objects.filter(system_operator=so).current(at=DEMO_AREA_VALID_FROM).get()
        geometry = shapely.intersection(area.geometry, box(*bounds))
        grid_zone_version_store(
            system_operator=so,
            code=code,
            name=name,
            area=area_geometry_from_shape(geometry=geometry, source_filename=f"demo-{code}.geojson"),
            valid_from=DEMO_AREA_VALID_FROM,
            uploaded_by=_engineer(so),
        )
        created += 1
    return created


def forecast_rows(codes, *, start: datetime, end: datetime, mtu: int) -> list[dict]:
    """One row per zone, market time unit and direction over [start, end) (read by the tests)."""
    rows = []
    moment = start
    while moment < end:
        hour = moment.astimezone(ZoneInfo(sweden.TIME_ZONE)).hour
        for code in codes:
            for direction in ("up", "down"):
                level = CONGESTION.get((code, direction), {}).get(hour, "none")
                rows.append(
                    {
                        "zone": code,
                        "start": moment.isoformat(),
                        "direction": direction,
                        "headroom_mw": HEADROOM_MW[level],
                        "level": level,
                    }
                )
        moment += timedelta(minutes=mtu)
    return rows


def _publish(so: SystemOperator, codes: list[str], now: datetime) -> int:
    user = _engineer(so)
    if user is None or Publication.objects.filter(
        system_operator=so, last_end__gte=now + timedelta(days=1)
    ).exists():
        return 0
    local_zone = ZoneInfo(sweden.TIME_ZONE)
    tomorrow = datetime.combine(now.astimezone(local_zone).date() + timedelta(days=1), time(), local_zone)
    quarter = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    quarter += timedelta(minutes=15)
    day_ahead = forecast_rows(
        codes, start=tomorrow.astimezone(UTC), end=(tomorrow + timedelta(days=2)).astimezone(UTC), mtu=60
    )
    publication_create(
        user=user, system_operator=so, horizon="day_ahead", mtu_minutes=60, rows=day_ahead,
        source="demo-day-ahead.json", now=now,
    )
    count = 1
    if quarter < tomorrow:
        intraday = forecast_rows(codes, start=quarter, end=tomorrow.astimezone(UTC), mtu=15)
        publication_create(
            user=user, system_operator=so, horizon="intraday", mtu_minutes=15, rows=intraday,
            source="demo-intraday.json", now=now,
        )
        count += 1
    return count


@transaction.atomic
def demo_forecasts_load(*, now: datetime | None = None) -> dict[str, int]:
    """The demo zones and forecasts, where missing. Needs the demo operators, users and areas."""
    now = now or timezone.now()
    names = {operator for operator, *_rest in ZONES}
    operators = {
        so.organisation.name: so
        for so in SystemOperator.objects.filter(organisation__name__in=names).select_related("organisation")
    }
    if len(operators) < len(names):
        return {"zones": 0, "publications": 0}
    zones = _zones_load(operators)
    publications = 0
    for name, so in operators.items():
        publications += _publish(so, [code for operator, code, *_ in ZONES if operator == name], now)
    return {"zones": zones, "publications": publications}

"""Demo data for Sweden, as data: read by `manage.py demo_data` (demo.load) and its tests.

Operators are real Swedish grid companies; their EIC codes, FSPs, connection points, units
and people are made up (plausible, valid check characters). Service areas are rough:
a local DSO is a circle around its municipality centre, a regional DSO and the TSO a set of
polygons tracing the part of Sweden they watch. Bidding zones follow latitude only
(`bidding_zone_for_latitude`), which is an approximation of the real SE1–SE4 borders.

Nothing here touches the database, so any module (tests, benchmarks, area generators) can
import it. Coordinates are WGS84; polygon rings are lists of (lon, lat) like GeoJSON.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from common.validators import gs1_check_digit
from demo.sweden_operators import (  # noqa: F401 (read as demo.sweden.*)
    ELLEVIO,
    EON,
    KM_PER_DEGREE_LAT,
    LOCAL_DSOS,
    OPERATORS,
    REGIONAL_DSOS,
    TSO,
    VATTENFALL,
    OperatorSpec,
    Ring,
    _offset,
    area_geojson,
    bidding_zone_for_latitude,
    circle_ring,
    distance_km,
    operator,
)

DEMO_PASSWORD = "demo-gridprequal"
COUNTRY = "SE"
TIME_ZONE = "Europe/Stockholm"


# --------------------------------------------------------------------------------------------
# Organisations that are not grid operators
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FspSpec:
    name: str
    eic: str
    code_prefix: str  # SPU codes are "<prefix>-001" ...
    technologies: tuple[str, ...]  # prequal.models.Spu.Technology values, drawn in turn


FSPS: tuple[FspSpec, ...] = (
    FspSpec("Nordic Flex AB", "11XNORDICFLEX--R", "NF", ("battery", "heat_pump", "ev_charging")),
    FspSpec(
        "Volt Aggregation AB", "11XVOLTAGGREG--5", "VA",
        ("industrial_load", "battery", "ev_charging", "solar"),
    ),
)
NORDIC_FLEX, VOLT = FSPS

REGULATOR_NAME = "Energimarknadsinspektionen"


# --------------------------------------------------------------------------------------------
# Products
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductSpec:
    code: str
    name: str
    kind: str  # prequal.models.Product.Kind value
    procuring_so: str  # operator name
    directions: str  # prequal.models.Direction value
    mtu_minutes: int
    gate_closure_minutes: int  # lead time before each market time unit; 0 with a day-ahead gate
    gate_closure_days_ahead: int | None = None  # D-n
    gate_closure_local_time: time | None = None  # the auction's close, Swedish time


# The Swedish names, as prequal's migration 0015 gives them to the seeded products.
PRODUCT_NAMES_SV = {
    "fcr-d-up": "FCR-D upp", "fcr-d-down": "FCR-D ned",
    "mfrr-capacity": "mFRR-kapacitet", "mfrr-energy": "mFRR-energi",
}


# Gate closures as Svenska kraftnät's markets run them: FCR in a D-2 and a D-1 auction (the D-1
# one, at 18:00, is the last, where a resource cleared at D-2 can still be bought back); the
# Nordic mFRR capacity market (like aFRR's) D-1 at 07:30; mFRR energy 45 minutes before each
# quarter-hour; the local flexibility markets two hours ahead.
PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec("fcr-n", "FCR-N", "balancing", TSO.name, "both", 60, 0, 1, time(18, 0)),
    ProductSpec("fcr-d-up", "FCR-D up", "balancing", TSO.name, "up", 60, 0, 1, time(18, 0)),
    ProductSpec("fcr-d-down", "FCR-D down", "balancing", TSO.name, "down", 60, 0, 1, time(18, 0)),
    ProductSpec("mfrr-capacity", "mFRR capacity", "balancing", TSO.name, "both", 15, 0, 1, time(7, 30)),
    ProductSpec("mfrr-energy", "mFRR energy", "balancing", TSO.name, "both", 15, 45),
    ProductSpec("sthlmflex-vattenfall", "sthlmflex (Vattenfall Eldistribution)", "local", VATTENFALL,
                "up", 60, 120),
    ProductSpec("sthlmflex-ellevio", "sthlmflex (Ellevio)", "local", ELLEVIO, "up", 60, 120),
    ProductSpec("switch-eon", "SWITCH (E.ON Energidistribution)", "local", EON, "up", 60, 120),
)


# --------------------------------------------------------------------------------------------
# Deadline rules (R4): reserves keep the catch-all rule of migration 0003 (SO GL Art. 182(3));
# Sweden's local congestion products cite a Swedish rule of their own.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineRuleSpec:
    product_kind: str  # prequal.models.Product.Kind value
    name: str
    legal_basis: str
    period_months: int
    valid_from: date


DEADLINE_RULES: tuple[DeadlineRuleSpec, ...] = (
    DeadlineRuleSpec(
        "local", "Local congestion products: grid prequalification (SE)",
        "NC DR Art. 49; Swedish terms for local flexibility services (Ei)", 3, date(2020, 1, 1),
    ),
)


# --------------------------------------------------------------------------------------------
# Connection points and SPUs (generated once from a fixed seed: the same on every run)
# --------------------------------------------------------------------------------------------

GSRN_PREFIX = "735999"
SEED = "gridprequal-demo-v1"


@dataclass(frozen=True)
class ConnectionPointSpec:
    gsrn: str
    operator: str  # connecting local DSO's name
    lat: float
    lon: float
    voltage_level: str  # observability.models.ConnectionPoint.VoltageLevel value
    bidding_zone: str


@dataclass(frozen=True)
class SpuSpec:
    fsp: str
    code: str
    name: str
    technology: str
    gsrn: str
    max_up_kw: Decimal
    max_down_kw: Decimal


# technology: (label, capacities in kW, share of up, share of down) per unit of capacity
_TECHNOLOGY = {
    "battery": ("Battery", (100, 250, 500, 1000, 2000), 1.0, 1.0),
    "ev_charging": ("EV charging", (50, 150, 300, 600), 1.0, 0.5),
    "heat_pump": ("Heat pumps", (15, 40, 120), 1.0, 0.3),
    "industrial_load": ("Industrial load", (800, 1500, 3000, 6000), 1.0, 0.0),
    "solar": ("Solar park", (200, 500, 1000), 0.0, 1.0),
}


def _voltage_level(technology: str, capacity_kw: int) -> str:
    if technology == "industrial_load":
        return "hv" if capacity_kw >= 6000 else "mv"
    return "lv" if capacity_kw <= 250 else "mv"


def _gsrn(n: int) -> str:
    payload = f"{GSRN_PREFIX}{n:011d}"
    return payload + gs1_check_digit(payload)


def _build_points_and_units() -> tuple[tuple[ConnectionPointSpec, ...], tuple[SpuSpec, ...]]:
    rng = random.Random(SEED)
    points: list[ConnectionPointSpec] = []
    units: list[SpuSpec] = []
    counters = {f.name: 0 for f in FSPS}
    tech_turn = {f.name: 0 for f in FSPS}
    for op_index, op in enumerate(LOCAL_DSOS):
        for i in range(op.cp_count):
            # Alternate FSPs inside each service area, starting differently per area.
            fsp = FSPS[(op_index + i) % len(FSPS)]
            technology = fsp.technologies[tech_turn[fsp.name] % len(fsp.technologies)]
            tech_turn[fsp.name] += 1
            label, sizes, up_share, down_share = _TECHNOLOGY[technology]
            capacity = rng.choice(sizes)
            # Uniform over the disc, kept within 90 % of the radius so rounding stays inside.
            r = op.radius_km * 0.9 * math.sqrt(rng.random())
            angle = rng.uniform(0, 2 * math.pi)
            lat, lon = _offset(lat=op.lat, lon=op.lon, north_km=r * math.cos(angle),
                               east_km=r * math.sin(angle))
            gsrn = _gsrn(len(points) + 1)
            points.append(ConnectionPointSpec(
                gsrn=gsrn, operator=op.name, lat=round(lat, 5), lon=round(lon, 5),
                voltage_level=_voltage_level(technology, capacity), bidding_zone=op.bidding_zone,
            ))
            counters[fsp.name] += 1
            units.append(SpuSpec(
                fsp=fsp.name,
                code=f"{fsp.code_prefix}-{counters[fsp.name]:03d}",
                name=f"{label} {op.municipality} {i + 1}",
                technology=technology,
                gsrn=gsrn,
                max_up_kw=Decimal(round(capacity * up_share)),
                max_down_kw=Decimal(round(capacity * down_share)),
            ))
    return tuple(points), tuple(units)


CONNECTION_POINTS, SPUS = _build_points_and_units()


# --------------------------------------------------------------------------------------------
# SPGs: one per FSP, in one bidding zone, with time-bounded memberships
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MembershipSpec:
    spu_code: str
    valid_from: datetime
    valid_to: datetime | None = None


@dataclass(frozen=True)
class SpgSpec:
    fsp: str
    code: str
    name: str
    bidding_zone: str
    memberships: tuple[MembershipSpec, ...] = field(default_factory=tuple)


def _d(year: int, month: int, day: int) -> datetime:
    """Midnight in Stockholm on that day, in UTC."""
    return datetime(year, month, day, tzinfo=ZoneInfo(TIME_ZONE)).astimezone(UTC)


def _units_in_zone(fsp: FspSpec, zone: str) -> list[str]:
    zone_of = {p.gsrn: p.bidding_zone for p in CONNECTION_POINTS}
    return [u.code for u in SPUS if u.fsp == fsp.name and zone_of[u.gsrn] == zone]


def _memberships(codes: list[str], periods) -> tuple[MembershipSpec, ...]:
    return tuple(
        MembershipSpec(spu_code=code, valid_from=start, valid_to=end)
        for code, (start, end) in zip(codes, periods, strict=False)
    )


# Periods: running since January, one that ended, one that joined later, one booked ahead.
_PERIODS = (
    (_d(2026, 1, 1), None),
    (_d(2026, 1, 1), None),
    (_d(2026, 2, 1), _d(2026, 9, 1)),
    (_d(2026, 10, 1), None),
    (_d(2026, 1, 1), _d(2027, 1, 1)),
)

SPGS: tuple[SpgSpec, ...] = (
    SpgSpec(
        NORDIC_FLEX.name, "NF-SE3-POOL", "Nordic Flex SE3 pool", "SE3",
        _memberships(_units_in_zone(NORDIC_FLEX, "SE3"), _PERIODS),
    ),
    SpgSpec(
        VOLT.name, "VA-SE2-POOL", "Volt Aggregation SE2 pool", "SE2",
        _memberships(_units_in_zone(VOLT, "SE2"), _PERIODS),
    ),
)


# --------------------------------------------------------------------------------------------
# People: one login per role, all with DEMO_PASSWORD
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserSpec:
    username: str
    first_name: str
    last_name: str
    role: str  # accounts.models.Membership.Role value, or "platform_admin"
    organisation: str | None
    try_this: str


PLATFORM_ADMIN = "platform_admin"
_MALARENERGI = "Mälarenergi Elnät"

USERS: tuple[UserSpec, ...] = (
    UserSpec("engineer-malarenergi", "Karin", "Lindqvist", "so_engineer", _MALARENERGI,
             "Local DSO: connection points and units on the Västerås grid; decide assessments"),
    UserSpec("viewer-malarenergi", "Erik", "Sjöberg", "so_viewer", _MALARENERGI,
             "Read-only: the same pages as the engineer, without decision buttons"),
    UserSpec("engineer-vattenfall", "Anders", "Holm", "so_engineer", VATTENFALL,
             "Regional DSO: observability areas, temporary limits, sthlmflex cases"),
    UserSpec("engineer-svk", "Sofia", "Berg", "so_engineer", TSO.name,
             "TSO: FCR and mFRR prequalification cases, activation check"),
    UserSpec("fsp-nordicflex", "Johan", "Ek", "fsp_user", NORDIC_FLEX.name,
             "FSP: SPUs and the SE3 group; register a unit, import CSV, apply for a product"),
    UserSpec("fsp-volt", "Maria", "Nyström", "fsp_user", VOLT.name,
             "FSP: industrial loads and the SE2 group; apply for mFRR"),
    UserSpec("analyst-ei", "Lena", "Forsberg", "nra_analyst", REGULATOR_NAME,
             "Regulator: every operator's registry and the annual report"),
    UserSpec("admin", "Platform", "Admin", PLATFORM_ADMIN, None,
             "Django admin at /admin/: organisations, users, products, deadline rules"),
)

"""Demo data for Sweden: the system operators (read through demo.sweden).

Operators are real Swedish grid companies; their EIC codes are made up (plausible, valid check
characters). Service areas are rough: a local DSO is a circle around its municipality centre,
a regional DSO and the TSO a set of polygons tracing the part of Sweden they watch. Bidding
zones follow latitude only (`bidding_zone_for_latitude`), an approximation of SE1–SE4.
Coordinates are WGS84; polygon rings are lists of (lon, lat) like GeoJSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

KM_PER_DEGREE_LAT = 111.32

Ring = tuple[tuple[float, float], ...]  # closed or open ring of (lon, lat) vertices


# --------------------------------------------------------------------------------------------
# System operators
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OperatorSpec:
    """One system operator. Locals have a centre and radius; the TSO and regionals polygons."""

    name: str
    eic: str
    tier: str  # observability.models.SystemOperator.Tier value
    upstream: str | None = None  # the upstream operator's name
    municipality: str = ""  # the municipality the service area is centred on (locals)
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None
    bidding_zone: str | None = None  # where the whole service area lies (locals)
    cp_count: int = 0  # demo connection points in the service area (locals)
    counties: tuple[str, ...] = ()  # regions watched (TSO and regionals)
    polygons: tuple[Ring, ...] = ()  # rough outline of the observability area (TSO, regionals)

    @property
    def is_local(self) -> bool:
        return self.tier == "local_dso"

    def service_area_rings(self, *, vertices: int = 48) -> tuple[Ring, ...]:
        """The area as polygon rings (lon, lat): the polygons, or the circle of a local DSO."""
        if self.polygons:
            return self.polygons
        return (circle_ring(lat=self.lat, lon=self.lon, radius_km=self.radius_km, vertices=vertices),)


TSO = OperatorSpec(
    name="Svenska kraftnät",
    eic="10XSE-SVK------B",
    tier="tso",
    counties=("Sweden",),
    polygons=(
        (
            (10.5, 59.1), (10.6, 57.0), (12.0, 55.1), (14.6, 55.0), (16.9, 56.0), (17.1, 57.3),
            (19.3, 58.9), (19.6, 59.9), (18.6, 60.6), (18.3, 61.5), (18.4, 62.5), (19.2, 63.1),
            (21.6, 63.4), (22.3, 64.4), (24.5, 65.6), (24.0, 67.2), (23.6, 68.4), (21.0, 69.2),
            (18.0, 68.7), (16.0, 67.9), (14.0, 66.3), (11.8, 64.5), (11.5, 63.5), (11.4, 61.5),
            (11.4, 59.5),
        ),
    ),
)

REGIONAL_DSOS: tuple[OperatorSpec, ...] = (
    OperatorSpec(
        name="Vattenfall Eldistribution",
        eic="10XSE-VFED-----1",
        tier="regional_dso",
        upstream=TSO.name,
        counties=(
            "Norrbottens län", "Västerbottens län", "Jämtlands län", "Västmanlands län",
            "Uppsala län", "Västra Götalands län",
        ),
        polygons=(
            # Norrland
            (
                (12.0, 62.7), (17.0, 62.7), (19.0, 63.3), (21.5, 63.6), (22.0, 64.5), (24.2, 65.7),
                (23.5, 68.0), (21.0, 69.0), (18.0, 68.5), (16.0, 67.7), (13.0, 65.0), (12.0, 63.5),
            ),
            # Mälardalen and Uppland
            (
                (15.6, 59.25), (17.2, 59.25), (17.7, 59.65), (18.9, 59.9), (18.5, 60.5),
                (16.0, 60.45), (15.6, 59.8),
            ),
            # West coast
            ((11.0, 57.3), (13.0, 57.3), (13.2, 58.6), (11.2, 59.1), (10.9, 58.3)),
        ),
    ),
    OperatorSpec(
        name="Ellevio",
        eic="10XSE-ELLEVIO--0",
        tier="regional_dso",
        upstream=TSO.name,
        counties=("Stockholms län", "Värmlands län", "Dalarnas län", "Gävleborgs län"),
        polygons=(
            # Stockholm
            ((17.3, 59.3), (17.5, 58.9), (19.2, 59.2), (19.0, 59.7), (17.8, 59.6)),
            # Värmland, Dalarna and Gävleborg
            (
                (11.8, 59.0), (14.5, 59.0), (15.5, 60.0), (16.5, 60.5), (17.6, 60.5), (17.6, 61.6),
                (14.0, 61.8), (12.2, 61.0), (11.8, 60.0),
            ),
        ),
    ),
    OperatorSpec(
        name="E.ON Energidistribution",
        eic="10XSE-EONED----1",
        tier="regional_dso",
        upstream=TSO.name,
        counties=(
            "Skåne län", "Hallands län", "Kronobergs län", "Östergötlands län", "Västernorrlands län",
        ),
        polygons=(
            # Southern Sweden
            (
                (12.3, 55.3), (14.6, 55.3), (16.8, 56.2), (16.9, 58.9), (14.6, 58.9), (13.4, 57.3),
                (12.3, 56.9), (12.3, 56.3),
            ),
            # Medelpad
            ((15.8, 61.9), (18.0, 61.9), (18.0, 62.65), (15.8, 62.65)),
        ),
    ),
)

VATTENFALL, ELLEVIO, EON = (r.name for r in REGIONAL_DSOS)


def _local(name, eic, upstream, municipality, lat, lon, radius_km, zone, cp_count) -> OperatorSpec:
    return OperatorSpec(
        name=name, eic=eic, tier="local_dso", upstream=upstream, municipality=municipality,
        lat=lat, lon=lon, radius_km=radius_km, bidding_zone=zone, cp_count=cp_count,
    )


LOCAL_DSOS: tuple[OperatorSpec, ...] = (
    # name, EIC, upstream, municipality, lat, lon (municipality centre), radius km, zone, CPs
    _local("Luleå Energi Elnät", "10XSE-LULEAEN-0Y", VATTENFALL, "Luleå", 65.5848, 22.1547, 15, "SE1", 2),
    _local("Skellefteå Kraft Elnät", "10XSE-SKEKRAFT-4", VATTENFALL, "Skellefteå", 64.7507, 20.9528, 25,
           "SE2", 2),
    _local("Umeå Energi Elnät", "10XSE-UMEAEN---I", VATTENFALL, "Umeå", 63.8258, 20.2630, 20, "SE2", 3),
    _local("Jämtkraft Elnät", "10XSE-JAMTKRAFTG", VATTENFALL, "Östersund", 63.1792, 14.6357, 35, "SE2", 2),
    _local("Mälarenergi Elnät", "10XSE-MALARENERV", VATTENFALL, "Västerås", 59.6099, 16.5448, 18, "SE3", 4),
    _local("Sala-Heby Energi Elnät", "10XSE-SALAHEBY-1", VATTENFALL, "Sala", 59.9211, 16.6063, 15, "SE3", 2),
    _local("Göteborg Energi Elnät", "10XSE-GBGENERGI3", VATTENFALL, "Göteborg", 57.7089, 11.9746, 20, "SE3",
           4),
    _local("Karlstads El- och Stadsnät", "10XSE-KARLSTAD-U", ELLEVIO, "Karlstad", 59.3793, 13.5036, 15,
           "SE3", 2),
    _local("Gävle Energi", "10XSE-GAVLEENERC", ELLEVIO, "Gävle", 60.6749, 17.1413, 12, "SE3", 2),
    _local("Sollentuna Energi & Miljö", "10XSE-SOLLENTUNX", ELLEVIO, "Sollentuna", 59.4280, 17.9509, 6,
           "SE3", 3),
    _local("Sundsvall Elnät", "10XSE-SUNDSVALL2", EON, "Sundsvall", 62.3908, 17.3069, 20, "SE2", 2),
    _local("Tekniska verken Linköping Nät", "10XSE-TVLKPNAT-S", EON, "Linköping", 58.4108, 15.6214, 20,
           "SE3", 3),
    _local("Öresundskraft", "10XSE-ORESUNDSKX", EON, "Helsingborg", 56.0465, 12.6945, 15, "SE4", 3),
    _local("Kraftringen Nät", "10XSE-KRAFTRING0", EON, "Lund", 55.7047, 13.1910, 20, "SE4", 3),
    _local("Halmstads Energi och Miljö Nät", "10XSE-HEMNAT---M", EON, "Halmstad", 56.6745, 12.8578, 12,
           "SE3", 3),
)

OPERATORS: tuple[OperatorSpec, ...] = (TSO, *REGIONAL_DSOS, *LOCAL_DSOS)  # upstream first


def operator(name: str) -> OperatorSpec:
    return next(o for o in OPERATORS if o.name == name)


def bidding_zone_for_latitude(lat: float) -> str:
    """SE1 north of 65°N, SE2 down to 61.5°N, SE3 down to 56.5°N, SE4 south of it (rough)."""
    if lat >= 65.0:
        return "SE1"
    if lat >= 61.5:
        return "SE2"
    if lat >= 56.5:
        return "SE3"
    return "SE4"


def distance_km(*, lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def _offset(*, lat: float, lon: float, north_km: float, east_km: float) -> tuple[float, float]:
    """(lat, lon) moved by the given kilometres (local flat approximation, fine below 50 km)."""
    new_lat = lat + north_km / KM_PER_DEGREE_LAT
    new_lon = lon + east_km / (KM_PER_DEGREE_LAT * math.cos(math.radians(lat)))
    return new_lat, new_lon


def circle_ring(*, lat: float, lon: float, radius_km: float, vertices: int = 48) -> Ring:
    """A closed ring of (lon, lat) approximating a circle (vertices on the circle)."""
    points = []
    for i in range(vertices):
        angle = 2 * math.pi * i / vertices
        p_lat, p_lon = _offset(
            lat=lat, lon=lon, north_km=radius_km * math.cos(angle), east_km=radius_km * math.sin(angle)
        )
        points.append((round(p_lon, 6), round(p_lat, 6)))
    points.append(points[0])
    return tuple(points)


def area_geojson(spec: OperatorSpec) -> dict:
    """The operator's rough service area as a GeoJSON MultiPolygon geometry (WGS84)."""
    rings = []
    for ring in spec.service_area_rings():
        closed = list(ring) if ring[0] == ring[-1] else [*ring, ring[0]]
        rings.append([[list(p) for p in closed]])
    return {"type": "MultiPolygon", "coordinates": rings}

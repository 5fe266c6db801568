""""My grid" (SPEC R11, §4): what is prequalified, awarded and activated inside a system
operator's observability area, over the next 48 hours or the last 30 days.

The area is the operator's reader rows (prequal.models.readers): the SPUs it reads (SpuReader,
which also names each unit's connection point) and the SPGs it reads (SpgReader). Every read
here is a constant number of queries whatever the number of records: the chart and the map are
read from My grid's summary (GridSlot, register.services.grid_slots: a few hundred rows per
operator and window, kept at every write), the map ranks the points from My grid's holdings
(GridHolding, register.services.grid_holdings: the operator's own copy of the records on its
units, with their points, kept at every write; one range of one index), the table reads one page
of units and the figures of that page only.

The operator's engineers and viewers read it; anyone else gets 404 for an operator that is not
theirs (and 403 for the page when they work for no operator).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import BooleanField, Count, Max, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.http import Http404

from common.db import fetch_all, model_columns, values_in
from observability.models import ConnectionPoint, SystemOperator
from observability.selectors import area_upload_operators_for_user, system_operators_for_user
from prequal.models import Case, Direction, Spu
from prequal.models.readers import SpgReader, SpuReader
from register.models import GridHolding, GridSlot, RecordKind, RecordRevision, RecordStatus, RegisterConflict
from register.services.parsing import max_period

NEXT_48, LAST_30 = "next48", "last30"
PERIODS = (NEXT_48, LAST_30)
# The map colours at most this many points (those holding the most MW in the period).
MAP_POINTS_MAX = 500
# What the map shows of a point (observability.maps.point_features).
POINT_FIELDS = ("gsrn", "latitude", "longitude", "connecting_so__organisation__name")
# Unqualified: the statement may be a subquery with the table under an alias (grid_units, held_only).
OVERLAP = 'tstzrange("period_start", "period_end") && tstzrange(%s, %s)'

CONFLICTS_MAX = 50
SERIES = ((RecordKind.AWARD, Direction.UP), (RecordKind.ACTIVATION, Direction.UP),
          (RecordKind.AWARD, Direction.DOWN), (RecordKind.ACTIVATION, Direction.DOWN))


@dataclass(frozen=True)
class Window:
    """The period shown: [start, end) in UTC, cut into buckets of `step` (the chart's bars)."""

    period: str
    start: datetime
    end: datetime
    step: timedelta

    @property
    def buckets(self) -> int:
        return int((self.end - self.start) / self.step)


def grid_window(*, period: str, now: datetime) -> Window:
    """The next 48 hours in 15-minute market time units (the finest product's), or the last 30
    days in hours. An unknown period reads as the next 48 hours."""
    if period == LAST_30:
        end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        return Window(LAST_30, end - timedelta(days=30), end, timedelta(hours=1))
    start = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    return Window(NEXT_48, start, start + timedelta(hours=48), timedelta(minutes=15))


def grid_operator_for_user(*, user, so_id: int | None) -> tuple[SystemOperator, list[SystemOperator], bool]:
    """(the operator shown, the operators the user may switch to, whether the user is one of its
    engineers). PermissionDenied for a user of no operator; 404 for an operator not the user's."""
    operators = list(system_operators_for_user(user=user).order_by("organisation__name", "pk"))
    if not operators:
        raise PermissionDenied
    chosen = operators[0] if so_id is None else next((so for so in operators if so.pk == so_id), None)
    if chosen is None:
        raise Http404
    engineer = area_upload_operators_for_user(user=user).filter(pk=chosen.pk).exists()
    return chosen, operators, engineer


def _held(*, so_id: int, window: Window, spg: bool = False) -> QuerySet[RecordRevision]:
    """The current, active records on the operator's SPUs (or SPGs) that overlap the window.
    The lower bound on period_start lets PostgreSQL skip the months no such record can start in."""
    if spg:
        scope = Q(spg_id__in=SpgReader.objects.filter(system_operator_id=so_id).values("spg_id"))
    else:
        scope = Q(spu_id__in=SpuReader.objects.filter(system_operator_id=so_id).values("spu_id"))
    held = RecordRevision.objects.filter(
        scope, is_current=True, status=RecordStatus.ACTIVE,
        period_start__lt=window.end, period_end__gt=window.start,
        period_start__gte=window.start - max_period(),
    ).order_by()
    if connection.vendor == "postgresql":
        # The same overlap, as the GiST index on the held period (register_held_period) reads it:
        # the records of the window, not every record of the month before it.
        held = held.filter(RawSQL(OVERLAP, (window.start, window.end), output_field=BooleanField()))
    return held


def _spread(rows, window: Window, into: dict[tuple, list[float]], key=lambda row: ()) -> None:
    """Add each row's MW to the buckets it overlaps, weighted by the overlap: a bucket holds the
    mean MW over its span (an hour of four 15-minute activations of 2 MW reads 2 MW)."""
    step, buckets = window.step.total_seconds(), window.buckets
    for row in rows:
        start, end = max(row["period_start"], window.start), min(row["period_end"], window.end)
        both = row["direction"] == Direction.BOTH
        directions = (Direction.UP, Direction.DOWN) if both else (row["direction"],)
        mw = float(row["mw"])
        first = int((start - window.start).total_seconds() // step)
        last = int(-((window.start - end).total_seconds() // step))  # ceil
        for i in range(first, min(last, buckets)):
            b_start = window.start + i * window.step
            overlap = (min(end, b_start + window.step) - max(start, b_start)).total_seconds()
            for direction in directions:
                series = into.setdefault((*key(row), row["kind"], direction), [0.0] * buckets)
                series[i] += mw * overlap / step


def grid_chart(*, system_operator: SystemOperator, window: Window) -> dict[tuple[str, str], list[float]]:
    """Mean MW per bucket for the whole area: {(kind, direction): [MW per bucket]}, every series
    present. Read from My grid's summary (GridSlot: one query of at most four rows per 15-minute
    slot); the same figures as grid_chart_from_records. SPU and SPG records both count (an SPG
    the operator reads has a member in its grid)."""
    series: dict[tuple, list[float]] = {key: [0.0] * window.buckets for key in SERIES}
    step, first = window.step.total_seconds(), window.start.timestamp()
    # fetch_all, binary on PostgreSQL: the 30 days' 11,520 rows' timestamps read by psycopg's C
    # loaders, not parsed one by one in Python (most of the chart's time).
    slots = fetch_all(
        f"SELECT slot, kind, direction, kw_minutes FROM {GridSlot._meta.db_table}"
        " WHERE system_operator_id = %s AND slot >= %s AND slot < %s AND kw_minutes <> 0",
        [system_operator.pk, window.start, window.end], columns=model_columns(GridSlot, ("slot",)),
        binary=True,
    )
    factor = 60 / 1000 / step
    for slot, kind, direction, kw_minutes in slots:
        series[(kind, direction)][int((slot.timestamp() - first) // step)] += kw_minutes * factor
    return series


def grid_chart_from_records(
    *, system_operator: SystemOperator, window: Window
) -> dict[tuple[str, str], list[float]]:
    """grid_chart's figures computed from the records themselves (the rule's other route: tests
    compare the two)."""
    series: dict[tuple, list[float]] = {key: [0.0] * window.buckets for key in SERIES}
    for spg in (False, True):
        rows = _held(so_id=system_operator.pk, window=window, spg=spg).values(
            "kind", "direction", "period_start", "period_end"
        ).annotate(mw=Sum("quantity_mw"))
        _spread(rows, window, series)
    return series


@dataclass
class UnitRow:
    """One SPU of the table: what it offers, what it is prequalified for, and its peaks (mean MW
    over the busiest bucket) awarded and activated up and down in the period."""

    spu: Spu
    products: list[str] = field(default_factory=list)
    peaks: dict[tuple[str, str], float] = field(default_factory=dict)
    conflicts: int = 0

    def peak(self, kind: str, direction: str) -> float:
        return self.peaks.get((kind, direction), 0.0)

    @property
    def award_up(self) -> float:
        return self.peak(RecordKind.AWARD, Direction.UP)

    @property
    def award_down(self) -> float:
        return self.peak(RecordKind.AWARD, Direction.DOWN)

    @property
    def activation_up(self) -> float:
        return self.peak(RecordKind.ACTIVATION, Direction.UP)

    @property
    def activation_down(self) -> float:
        return self.peak(RecordKind.ACTIVATION, Direction.DOWN)


def grid_units(*, system_operator: SystemOperator, held_only: bool = False, window: Window) -> QuerySet[Spu]:
    """The operator's SPUs in code order, to be paginated (a count off its reader rows);
    `held_only`: those with an award or activation in the window."""
    units = Spu.objects.read_by(system_operator_id=system_operator.pk).select_related(
        "fsp__organisation", "connection_point"
    )
    if held_only:
        units = units.filter(pk__in=_holdings(so_id=system_operator.pk, window=window).values("spu_id"))
    return units


def grid_unit_rows(*, units: list[Spu], window: Window) -> list[UnitRow]:
    """The figures of one page of units: three queries, whatever the page's size."""
    rows = {spu.pk: UnitRow(spu=spu) for spu in units}
    ids = sorted(rows)
    cases = Case.objects.prequalified(spu_ids=ids).values("spu_id", "product__code").order_by("product__code")
    for case in cases:
        if case["product__code"] not in rows[case["spu_id"]].products:
            rows[case["spu_id"]].products.append(case["product__code"])
    held = RecordRevision.objects.filter(
        spu_id__in=ids, is_current=True, status=RecordStatus.ACTIVE, period_start__lt=window.end,
        period_end__gt=window.start, period_start__gte=window.start - max_period(),
    ).order_by().values("spu_id", "kind", "direction", "period_start", "period_end").annotate(
        mw=Sum("quantity_mw")
    )
    series: dict[tuple, list[float]] = {}
    _spread(held, window, series, key=lambda row: (row["spu_id"],))
    for (spu_id, kind, direction), values in series.items():
        rows[spu_id].peaks[(kind, direction)] = max(values)
    conflicts = RegisterConflict.objects.filter(spu_id__in=ids, at__gte=window.start - timedelta(days=30))
    for found in conflicts.values("spu_id").annotate(n=Count("pk")).order_by():
        rows[found["spu_id"]].conflicts = found["n"]
    return [rows[spu.pk] for spu in units]


@dataclass(frozen=True)
class MapPoint:
    """What the map shows of a point (observability.maps.point_features reads these names)."""

    pk: int
    gsrn: str
    latitude: float
    longitude: float
    connecting_so: str  # its connecting operator's name


def _holdings(*, so_id: int, window: Window) -> QuerySet[GridHolding]:
    """My grid's holdings (register.services.grid_holdings) of the operator that overlap the
    window: the current, active records on the SPUs it reads, one range of its index."""
    return GridHolding.objects.filter(
        system_operator_id=so_id, period_end__gt=window.start, period_start__lt=window.end
    ).order_by()


def grid_points(*, system_operator: SystemOperator, window: Window) -> list[dict]:
    """The connection points holding the most MW in the period (at most MAP_POINTS_MAX), each
    with the MW of the largest award or activation of each of its units, summed over its units:
    {"point": MapPoint, "mw": float}, most first.

    Two statements whatever the number of units holding something: the points are ranked in SQL
    from the operator's holdings of the window (each unit's largest record, summed per point, the
    first MAP_POINTS_MAX), then those points read with their connecting operator's name."""
    per_unit, params = _holdings(so_id=system_operator.pk, window=window).values(
        "spu_id", "connection_point_id"
    ).annotate(mw=Max("quantity_mw")).query.sql_with_params()
    top = fetch_all(
        f"SELECT u.connection_point_id, SUM(u.mw) AS held FROM ({per_unit}) u"
        " GROUP BY u.connection_point_id ORDER BY held DESC, u.connection_point_id LIMIT %s",
        [*params, MAP_POINTS_MAX],
    )
    # Tuples, not model instances: 500 points with their operator and organisation were most of
    # the page's own CPU.
    points = {
        pk: MapPoint(pk, *fields) for pk, *fields in ConnectionPoint.objects.filter(
            values_in("pk", [pk for pk, _mw in top])
        ).values_list("pk", *POINT_FIELDS)
    }
    return [{"point": points[pk], "mw": float(mw)} for pk, mw in top if pk in points]


def grid_points_from_records(*, system_operator: SystemOperator, window: Window) -> list[tuple[int, float]]:
    """grid_points' ranking, (point id, MW), computed from the records and reader rows themselves
    (the rule's other route: tests compare the two)."""
    per_unit = _held(so_id=system_operator.pk, window=window).values("spu_id").annotate(mw=Max("quantity_mw"))
    points = dict(SpuReader.objects.filter(system_operator_id=system_operator.pk).values_list(
        "spu_id", "connection_point_id"))
    held: dict[int, Decimal] = {}
    for unit in per_unit:
        point = points[unit["spu_id"]]
        held[point] = held.get(point, Decimal(0)) + unit["mw"]
    ranked = sorted(held.items(), key=lambda item: (-item[1], item[0]))[:MAP_POINTS_MAX]
    return [(point, float(mw)) for point, mw in ranked]


def grid_conflicts(*, system_operator: SystemOperator, window: Window) -> list[RegisterConflict]:
    """Double activations refused since the window's start (at least the last 30 days) that
    concern the operator: refused for it, refused because it held first, or on a unit or group
    in its area."""
    since = min(window.start, window.end - timedelta(days=30))
    readers = {"system_operator_id": system_operator.pk}
    return list(RegisterConflict.objects.filter(
        Q(system_operator=system_operator) | Q(holder_system_operator=system_operator)
        | Q(spu_id__in=SpuReader.objects.filter(**readers).values("spu_id"))
        | Q(spg_id__in=SpgReader.objects.filter(**readers).values("spg_id")),
        at__gte=since,
    ).select_related(
        "system_operator__organisation", "holder_system_operator__organisation", "product", "holder_product",
        "spu", "spg",
    )[:CONFLICTS_MAX])

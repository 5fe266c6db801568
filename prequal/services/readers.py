"""Who reads which SPU and SPG (SPEC §4), written as rows (prequal.models.readers).

The rule lives here once, as two queries of (operator, resource) pairs:

- an SO reads an SPU at a point it connects, an SPU of a case it assesses, and every member of
  an SPG of a case it assesses;
- an SO reads an SPG with a member at a point it connects, and an SPG of a case it assesses.

`*_readers_refresh` writes the rows of some resources again from the rule: the services call it
whenever what decides them changes (prequal.services.cases._common._open_round,
prequal.services.resources, the CSV import). `so_readers_rebuild` writes every row again, for
the bulk loaders (demo data, the benchmarks' generator) and `manage.py so_readers_rebuild`.
A refresh deletes and re-inserts inside the caller's transaction; the insert skips rows another
transaction has just written (ON CONFLICT DO NOTHING / INSERT OR IGNORE). Around each rewrite it
sends prequal.signals.readers_changing and readers_changed (figures kept per reading operator
follow: register.services.grid_slots).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from common.db import rows_insert_select
from observability.models import ConnectionPoint, ConnectionPointReader
from observability.readers import connection_point_readers_refresh
from prequal.models import Assessment, Spg, SpgMembership, SpgReader, Spu, SpuReader
from prequal.signals import readers_changed, readers_changing


def _spu_pairs(spus: QuerySet[Spu]) -> QuerySet:
    """(operator, SPU, code, active, point) for every reader of `spus`: the rule, as one UNION."""
    unit = ("code", "is_active", "connection_point_id")
    connected = spus.values_list("connection_point__connecting_so_id", "pk", *unit).order_by()
    assessed = Assessment.objects.filter(case__spu__in=spus).values_list(
        "system_operator_id", "case__spu_id", *(f"case__spu__{name}" for name in unit)
    ).order_by()
    members = SpgMembership.objects.filter(
        spu__in=spus, spg__cases__assessments__isnull=False
    ).values_list(
        "spg__cases__assessments__system_operator_id", "spu_id", *(f"spu__{name}" for name in unit)
    ).order_by()
    return connected.union(assessed, members)


def _spg_pairs(spgs: QuerySet[Spg]) -> QuerySet:
    """(operator, SPG) for every reader of `spgs`."""
    connected = SpgMembership.objects.filter(spg__in=spgs).values_list(
        "spu__connection_point__connecting_so_id", "spg_id"
    ).order_by()
    assessed = Assessment.objects.filter(case__spg__in=spgs).values_list(
        "system_operator_id", "case__spg_id"
    ).order_by()
    return connected.union(assessed)


def _spu_rows_write(spus: QuerySet[Spu], *, new: bool) -> None:
    if not new:
        readers_changing.send(sender=SpuReader, resources=spus)
    SpuReader.objects.filter(spu__in=spus).delete()
    rows_insert_select(
        SpuReader, ("system_operator", "spu", "spu_code", "is_active", "connection_point"), _spu_pairs(spus)
    )
    if not new:
        readers_changed.send(sender=SpuReader, resources=spus)


def spu_readers_refresh(*, spus: QuerySet[Spu], also_points=(), new: bool = False) -> None:
    """Write the reader rows of `spus` again from the rule, and those of their points (who reads
    a unit reads its point: prequal.selectors.resources.point_readers_of_units) and of
    `also_points` (a unit's former point). `new`: the units were created in this transaction,
    so nothing anywhere counts them per reader yet (no signals: the CSV import's bulk path)."""
    _spu_rows_write(spus, new=new)
    points = Q(pk__in=spus.values("connection_point_id")) | Q(pk__in=list(also_points))
    connection_point_readers_refresh(points=ConnectionPoint.objects.filter(points))


def spg_readers_refresh(*, spgs: QuerySet[Spg]) -> None:
    """Write the reader rows of `spgs` again from the rule."""
    readers_changing.send(sender=SpgReader, resources=spgs)
    SpgReader.objects.filter(spg__in=spgs).delete()
    rows_insert_select(SpgReader, ("system_operator", "spg"), _spg_pairs(spgs))
    readers_changed.send(sender=SpgReader, resources=spgs)


def resource_readers_refresh(*, spu_ids=(), spg_ids=(), former_point_ids=()) -> None:
    """The reader rows of these SPUs and SPGs, written again. Name what changed: a unit's rows
    follow its point, its cases and its groups' cases; a group's rows follow its members' points
    and its cases (so a group's new assessments change its members' rows too)."""
    if spg_ids:
        spg_readers_refresh(spgs=Spg.objects.filter(pk__in=list(spg_ids)))
    if spu_ids:
        spu_readers_refresh(spus=Spu.objects.filter(pk__in=list(spu_ids)), also_points=former_point_ids)


def so_readers_rebuild() -> tuple[int, int, int]:
    """Every reader row written again from the rule; (SPU rows, SPG rows, point rows)."""
    _spu_rows_write(Spu.objects.all(), new=False)
    spg_readers_refresh(spgs=Spg.objects.all())
    connection_point_readers_refresh(points=ConnectionPoint.objects.all())
    return SpuReader.objects.count(), SpgReader.objects.count(), ConnectionPointReader.objects.count()

"""Who reads which connection point (SPEC §4), written as rows (ConnectionPointReader).

An SO reads the points it connects (the rule here) and the points of the units it reads (the
rule of an app above: prequal adds it with `connection_point_reader_sources_add`, from its SPU
readers). `connection_point_readers_refresh` writes the rows of some points again from every
rule: observability calls it when it registers a point, prequal when its SPU readers change.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet

from common.db import rows_insert_select
from observability.models import ConnectionPoint, ConnectionPointReader

# Each source maps a queryset of points to (operator id, point id, GSRN) rows of its readers.
_SOURCES: list[Callable[[QuerySet], QuerySet]] = []


def connection_point_reader_sources_add(source: Callable[[QuerySet], QuerySet]) -> None:
    """Let an app above observability add readers of points (from its AppConfig.ready)."""
    if source not in _SOURCES:
        _SOURCES.append(source)


def connection_point_readers_refresh(*, points: QuerySet[ConnectionPoint]) -> None:
    """Write the reader rows of `points` again from every rule."""
    ConnectionPointReader.objects.filter(connection_point__in=points).delete()
    connected = points.values_list("connecting_so_id", "pk", "gsrn").order_by()
    pairs = connected.union(*(source(points).order_by() for source in _SOURCES)) if _SOURCES else connected
    rows_insert_select(ConnectionPointReader, ("system_operator", "connection_point", "gsrn"), pairs)

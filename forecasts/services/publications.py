"""Publishing a congestion forecast (SPEC R12): all rows checked, then stored in one go.

A publication is all-or-nothing: any bad row refuses the whole of it, with every bad row named.
The rows go in with COPY on PostgreSQL (prequal.imports.sql.table_insert), so a publication
costs the same few queries whatever its size: the operator's zones, the new months' partitions
(only the first time a month is reached), the publication row and the rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import islice

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.csv_in import CsvIn
from forecasts import partitions
from forecasts.congestion_cache import cache_published
from forecasts.models import CongestionLevel, ForecastValue, GridZone, Horizon, Publication
from forecasts.rows import (
    CheckedRow,
    RowRules,
    SourceRows,
    rows_check,
    rows_from_csv,
    rows_from_json,
)
from forecasts.services.zones import grid_zone_can_manage
from forecasts.tasks import forecast_congestion_notify_task
from observability.models import SystemOperator
from prequal.imports.sql import table_insert

MTU_MINUTES = (15, 60)
MAX_ROWS = 500_000
VALUE_COLUMNS = (
    "publication",
    "zone",
    "start",
    "direction",
    "minutes",
    "published_at",
    "headroom_mw",
    "level",
)


def _header_check(*, horizon: str, mtu_minutes) -> None:
    errors = {}
    if horizon not in Horizon.values:
        errors["horizon"] = [
            _("Expected one of %(choices)s.") % {"choices": ", ".join(Horizon.values)}
        ]
    if mtu_minutes not in MTU_MINUTES:
        errors["mtu_minutes"] = [_("The market time unit is 15 or 60 minutes.")]
    if errors:
        raise ValidationError(errors)


def _zones(system_operator: SystemOperator) -> dict[str, tuple[int, datetime]]:
    """code → (zone id, its first version's valid_from): one query."""
    rows = (
        GridZone.objects.filter(system_operator=system_operator)
        .annotate(first=Min("versions__valid_from"))
        .values_list("code", "id", "first")
    )
    return {code: (pk, first) for code, pk, first in rows if first is not None}


class PublicationRefused(ValidationError):
    """A publication with bad rows: the messages per row under "rows" (API), and the problems
    themselves (`problems`: where, field, message) for the page's table."""

    def __init__(self, problems) -> None:
        self.problems = list(problems)
        summary = ngettext(
            "%(count)s row is wrong; nothing was published.",
            "%(count)s rows are wrong; nothing was published.",
            len(self.problems),
        ) % {"count": len(self.problems)}
        super().__init__(
            {"rows": [str(problem) for problem in self.problems], "__all__": [summary]}
        )


def _rows_read(*, csv_text: CsvIn | str | bytes | None, rows: Iterable | None) -> tuple[SourceRows, list]:
    """The rows of the CSV text or the JSON list, and the problems found reading them."""
    given, problems = rows_from_csv(csv_text) if csv_text is not None else rows_from_json(rows or [])
    if not given.rows and not problems:
        raise ValidationError({"rows": [_("The forecast has no rows.")]})
    if len(given.rows) > MAX_ROWS:
        raise ValidationError(
            {"rows": [_("At most %(max)s rows per publication.") % {"max": MAX_ROWS}]}
        )
    return given, problems


@transaction.atomic
def publication_create(
    *,
    user,
    system_operator: SystemOperator,
    horizon: str,
    mtu_minutes: int,
    csv_text: CsvIn | str | bytes | None = None,
    rows: Iterable | None = None,
    source: str = "",
    now: datetime | None = None,
) -> Publication:
    """Publish the rows (a CSV file, or a list of JSON objects) as `user` for the operator.

    `csv_text` is the file's text or bytes, or a common.csv_in.CsvIn the caller asks afterwards
    how the file was read.

    Every row must name a zone of the operator, begin an aligned market time unit, give a
    headroom ≥ 0 and a congestion level, and not repeat another row's zone, start and direction;
    a day-ahead row may not begin in the past. Any problem refuses the whole publication.
    """
    if not grid_zone_can_manage(user=user, system_operator=system_operator):
        raise PermissionDenied(
            _("Only engineers of %(so)s may publish its forecasts.") % {"so": system_operator}
        )
    _header_check(horizon=horizon, mtu_minutes=mtu_minutes)
    now = now or timezone.now()
    given, problems = _rows_read(csv_text=csv_text, rows=rows)
    rules = RowRules(
        zones=_zones(system_operator),
        zone_owner=str(system_operator),
        time_zone=system_operator.time_zone,
        horizon=horizon,
        mtu_minutes=mtu_minutes,
        now=now,
    )
    checked, row_problems = rows_check(given, rules=rules)
    problems += row_problems
    if problems:
        raise PublicationRefused(problems)
    starts = {row[1] for row in checked}  # distinct: a day's 384,000 rows have 96
    first = min(starts)
    last_end = max(starts) + timedelta(minutes=mtu_minutes)
    partitions.partitions_create(sorted({partitions.month_of(start) for start in starts}))
    publication = Publication.objects.create(
        system_operator=system_operator,
        horizon=horizon,
        mtu_minutes=mtu_minutes,
        published_at=now,
        published_by=user,
        source=source[:255],
        row_count=len(checked),
        first_start=first,
        last_end=last_end,
    )
    _values_insert(publication=publication, rows=checked)
    cache_published()  # this process's checks see it next (forecasts.congestion_cache)
    transaction.on_commit(cache_published)
    _notify_on_commit(publication=publication, rows=checked)
    return publication


def _notify_on_commit(*, publication: Publication, rows) -> None:
    """With likely or certain rows, the FSPs concerned are told after commit (R12)."""
    if any(row[4] >= CongestionLevel.LIKELY for row in rows):
        publication_id = publication.pk
        transaction.on_commit(lambda: forecast_congestion_notify_task.delay(publication_id), robust=True)


COPY_CHUNK_ROWS = 20_000


def _copy_text(table: str, columns: list[str], lines: Iterable[str]) -> None:
    """COPY lines of tab-separated text (values that need no escaping: numbers, ISO instants,
    directions) into `table`, sent in chunks of COPY_CHUNK_ROWS lines."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name in columns)
    lines = iter(lines)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
            while chunk := "".join(islice(lines, COPY_CHUNK_ROWS)):
                copy.write(chunk)


def _values_insert(*, publication: Publication, rows: list[CheckedRow]) -> None:
    """The rows in one statement: on PostgreSQL one COPY of text written here (each distinct start
    formatted once), elsewhere an INSERT of the values as the database takes them."""
    table = ForecastValue._meta.db_table
    columns = [ForecastValue._meta.get_field(name).column for name in VALUE_COLUMNS]
    head = f"{publication.pk}\t"
    tail = f"\t{publication.mtu_minutes}\t{publication.published_at.isoformat()}\t"
    if connection.vendor == "postgresql":
        starts = {start: start.isoformat() for start in {row[1] for row in rows}}
        _copy_text(
            table,
            columns,
            (
                f"{head}{zone}\t{starts[start]}\t{direction}{tail}{headroom}\t{level}\n"
                for zone, start, direction, headroom, level in rows
            ),
        )
        return
    ops = connection.ops
    at = ops.adapt_datetimefield_value(publication.published_at)
    table_insert(
        table,
        columns,
        [
            (publication.pk, zone, ops.adapt_datetimefield_value(start), direction,
             publication.mtu_minutes, at, Decimal(headroom), level)
            for zone, start, direction, headroom, level in rows
        ],
    )

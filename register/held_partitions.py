"""The register's month partitions a hot read names itself (PostgreSQL): the activation check's
reads of what is held (register.selectors_held) read the 2–3 months a period can touch, not the
partitioned table.

Why: the hot reads are prepared statements (common.db), planned once, generically, for every
partition. PostgreSQL 15 then locks, at every execution, every partition of the table and each
of its indexes (a year of months, the default partition, eight indexes each), even though it
prunes all but two or three of them before reading: ~0.44 ms of the server's CPU per read, ten
times the index scans themselves. A statement naming the months its period can touch (a record
starts at most max_period() before the period: two or three months) plus the default partition
costs ~0.09 ms (figures: docs/PERFORMANCE.md, the activation check with area headroom).

Which partitions exist is kept per process (`_known`). It changes when `manage.py
register_partitions` adds a month or retention drops one (register.services.partitions,
register.services.retention), in any process. Every named read therefore carries the stamp of
the set it was built for (the sum of the partitions' oids plus their count) and gives, as one
more row, a marker (`record_id` NULL, the set's stamp and names) when the set's stamp is no
longer that one: the read learns the set and runs once more on it. A process that knows no set
yet reads the partitioned table itself (correct, only slower) and learns the set from the same
statement's marker: no query of its own, so the first answer costs as many statements as any
other. A new partition is never missed (its rows left the default partition when it was made);
a partition dropped by retention fails the named read, which (outside a transaction) forgets
the set and runs once more. On SQLite there are no
partitions: the table itself is read.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from django.db import connection

from register.services.partitions import DEFAULT, PARENT, months_from, partition_name

_SET = (
    "(SELECT COALESCE(SUM(i.inhrelid::int8), 0) + COUNT(*) AS stamp FROM pg_inherits i "
    "WHERE i.inhparent = 'register_recordrevision'::regclass) p"
)
_NAMES = (
    "(SELECT string_agg(c.relname, ',') FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "WHERE i.inhparent = 'register_recordrevision'::regclass)"
)
# The columns of a revision the hot reads use: every named partition gives them in this order.
COLUMNS = (
    "record_id", "spu_id", "spg_id", "kind", "direction", "quantity_mw", "period_start", "period_end",
    "product_id", "is_current", "status",
)
UNKNOWN = -1  # the stamp of no set: the marker always comes

_known: tuple[int, frozenset[str]] | None = None  # (stamp, partition names)
_sources: dict[tuple, str] = {}  # revisions_from's text by (stamp, months): see there
_MIDNIGHT = time(0)


def partitions_forget() -> None:
    """Drop this process's partition set (the next read goes to the table and learns it again)."""
    global _known
    _known = None


def revisions_from(first: datetime, end: datetime) -> tuple[str, int | None]:
    """(the FROM source of revisions starting in [first, end), the stamp of the partition set it
    was built for; None on SQLite). On PostgreSQL a UNION ALL of the months' partitions that
    exist and the default partition, each giving COLUMNS; the partitioned table while this
    process knows no set."""
    if connection.vendor != "postgresql":
        return PARENT, None
    known = _known
    if known is None:
        return PARENT, UNKNOWN
    first, end = first.astimezone(UTC), end.astimezone(UTC)
    # The same months give the same text: built once per set (a check per bid, SPEC §7).
    key = (known[0], first.year, first.month, end.year, end.month, end.day == 1 and end.time() == _MIDNIGHT)
    source = _sources.get(key)
    if source is None:
        if len(_sources) > 1000:
            _sources.clear()
        source = _sources[key] = _source(known, first, end)
    return source, known[0]


def _source(known: tuple[int, frozenset[str]], first: datetime, end: datetime) -> str:
    _stamp, names = known
    start_month = first.date().replace(day=1)
    last = end.date()
    count = (last.year - start_month.year) * 12 + last.month - start_month.month + 1
    wanted = [partition_name(m) for m in months_from(start_month, count) if _starts_before(m, end)]
    tables = [name for name in wanted if name in names] + ([DEFAULT] if DEFAULT in names else [])
    columns = ", ".join(COLUMNS)
    if not tables:
        return f"(SELECT {columns} FROM {PARENT} WHERE false)"
    return "(" + " UNION ALL ".join(f"SELECT {columns} FROM {name}" for name in tables) + ")"


def _starts_before(month: date, end: datetime) -> bool:
    return datetime(month.year, month.month, 1, tzinfo=UTC) < end


def set_marker(*, width: int, stamp_at: int, names_at: int) -> str:
    """A UNION ALL branch giving one row when the partition set's stamp is not the parameter it is
    given: NULLs but the stamp (a bigint column, `stamp_at`) and the names (a text column,
    `names_at`, comma-separated; read only then)."""
    values = ["NULL"] * width
    values[stamp_at], values[names_at] = "p.stamp", _NAMES
    return f" UNION ALL SELECT {', '.join(values)} FROM {_SET} WHERE p.stamp <> %s"


def marker_learn(rows: list, *, stamp_at: int, names_at: int) -> tuple[list, bool]:
    """(the rows without the marker, whether there was one: then the set it names is learnt)."""
    global _known
    found = [row for row in rows if row[0] is None]
    if not found:
        return rows, False
    marker = found[0]
    _known = (int(marker[stamp_at]), frozenset((marker[names_at] or "").split(",")) - {""})
    return [row for row in rows if row[0] is not None], True


def set_marker_text() -> str:
    """A scalar subquery for a statement's select list: the partition set as text ("stamp:names")
    when its stamp is not the parameter it is given, else NULL (read by marker_text_learn)."""
    return f"(SELECT p.stamp::text || ':' || COALESCE({_NAMES}, '') FROM {_SET} WHERE p.stamp <> %s)"


def marker_text_learn(marker: str) -> None:
    """Learn the set set_marker_text() gave."""
    stamp, _colon, names = marker.partition(":")
    marker_learn([[None, int(stamp), names]], stamp_at=1, names_at=2)

"""Writing and looking up many rows at once: INSERT (COPY on PostgreSQL) and `IN` (ANY) queries."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

POINT_INSERT_COLUMNS = (
    "gsrn", "connecting_so", "latitude", "longitude", "voltage_level", "bidding_zone",
    "created_at", "updated_at",
)
SPU_INSERT_COLUMNS = (
    "fsp", "connection_point", "code", "name", "technology", "max_up_kw", "max_down_kw",
    "is_active", "deactivated_at", "created_at", "updated_at",
)


def rows_insert(model, rows: list[tuple], *, columns: tuple[str, ...]) -> None:
    """INSERT the rows (COPY on PostgreSQL); the values are already checked by full_clean.

    Django's bulk_create prepares every value through its field in Python, which costs more
    than the rest of the import together (0.25 ms a row: 250 s for SPEC §7's million rows).
    The values here are plain str, int, float, Decimal, bool and one prepared timestamp, which
    both SQLite and psycopg take as they are.
    """
    model_columns_check(model, columns)
    table_insert(
        model._meta.db_table, [model._meta.get_field(name).column for name in columns], rows
    )


def model_columns_check(model, columns: tuple[str, ...]) -> None:
    """A new model field must be added to what the import writes, not silently left out."""
    fields = [f.name for f in model._meta.concrete_fields if not f.primary_key]
    if sorted(fields) != sorted(columns):
        raise RuntimeError(f"{model.__name__} has fields {fields}; the import writes {columns}")


def table_insert(table: str, columns: list[str], rows: list[tuple]) -> None:
    """INSERT the rows into `table` (COPY on PostgreSQL: several times faster than executemany)."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({placeholders})", rows)


def rows_where_in(model, fields: tuple[str, ...], *, key: str, values: Iterable, **equal) -> list[tuple]:
    """values_list(*fields) of the rows whose `key` is one of `values` (and `equal`): one query.

    On PostgreSQL as `key = ANY(%s)` with the values as one array: psycopg parses a query of
    2,000 placeholders in Python, 38 ms against 6 ms, which is 50 s over a million rows.
    """
    if connection.vendor != "postgresql":
        lookups = {f"{key}__in": list(values), **{f"{name}_id" if model._meta.get_field(name).is_relation
                                                  else name: value for name, value in equal.items()}}
        return list(model.objects.filter(**lookups).values_list(*fields))
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        return quote(model._meta.get_field(name).column)

    where = [f"{column(key)} = ANY(%s)", *(f"{column(name)} = %s" for name in equal)]
    sql = "SELECT {} FROM {} WHERE {}".format(
        ", ".join(column(name) for name in fields), quote(model._meta.db_table), " AND ".join(where)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(values), *equal.values()])
        return cursor.fetchall()

"""Writing generated rows fast, and the identifiers they carry (valid EIC codes and GSRNs)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

# The columns the generators give for a connection point and an SPU (ids explicit).
POINT_COLUMNS = ["id", "gsrn", "connecting_so_id", "latitude", "longitude", "voltage_level", "bidding_zone",
                 "created_at", "updated_at"]
SPU_COLUMNS = ["id", "fsp_id", "connection_point_id", "code", "name", "technology", "max_up_kw",
               "max_down_kw", "is_active", "created_at", "updated_at"]


class TableWriter:
    """Rows for one model's table: COPY on PostgreSQL, executemany on SQLite.

    `columns` are given per row; every other NOT NULL column gets the field's default.
    Explicit ids: the generator numbers rows itself so it can refer to them without reading back.
    """

    def __init__(self, model, columns: list[str]) -> None:
        from django.db import connection

        self.model, self.connection = model, connection
        self.columns = list(columns)
        self.tail: tuple = ()
        given = set(columns)
        for f in model._meta.concrete_fields:
            if f.column in given or f.primary_key or f.null:
                continue
            self.columns.append(f.column)
            value = f.get_default()
            if isinstance(value, (list, dict)):
                value = json.dumps(value)
            self.tail += (value,)
        self.count = 0

    def write(self, rows) -> int:
        self.connection.ensure_connection()
        if self.connection.vendor == "postgresql":
            self._copy(rows)
        else:
            self._executemany(rows)
        return self.count

    def _quoted(self) -> str:
        return ", ".join(self.connection.ops.quote_name(c) for c in self.columns)

    def _copy(self, rows) -> None:
        table = self.model._meta.db_table
        with self.connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({self._quoted()}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row + self.tail)
                    self.count += 1

    def _executemany(self, rows) -> None:
        table = self.model._meta.db_table
        sql = f"INSERT INTO {table} ({self._quoted()}) VALUES ({', '.join('%s' for _ in self.columns)})"
        ops = self.connection.ops

        def adapt(value):
            if isinstance(value, datetime):
                return ops.adapt_datetimefield_value(value)
            return str(value) if isinstance(value, Decimal) else value

        batch = []
        with self.connection.cursor() as cursor:
            for row in rows:
                batch.append(tuple(adapt(v) for v in row + self.tail))
                if len(batch) >= 5000:
                    cursor.executemany(sql, batch)
                    self.count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                self.count += len(batch)


def insert_select(model, *, exprs: dict[str, str], source: str, params: list | None = None) -> int:
    """INSERT INTO model's table SELECT exprs FROM source (PostgreSQL generates the rows itself);
    every other NOT NULL column gets the field's default. Placeholders belong in `source` only
    (`params`); the defaults' come first."""
    from django.db import connection

    columns, values, args = [], [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        if f.column in exprs:
            columns.append(connection.ops.quote_name(f.column))
            values.append(exprs[f.column])
        elif not f.null:
            columns.append(connection.ops.quote_name(f.column))
            values.append("%s")
            args.append(f.get_db_prep_save(f.get_default(), connection))
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, args + (params or []))
        return cursor.rowcount


def next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def sequences_reset(models) -> None:
    """After rows with explicit ids: the id sequences continue after them."""
    from django.core.management.color import no_style
    from django.db import connection

    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


# --- identifiers ------------------------------------------------------------------------------


def eic_make(prefix: str, n: int) -> str:
    """A valid 16-character EIC code, unique per (prefix, n) (a '-' check char is not allowed)."""
    from common.validators import eic_check_char

    k = 0
    while True:
        body = f"{prefix}GPQ{n:07d}{k:02d}"[:15].upper()
        check = eic_check_char(body)
        if check != "-":
            return body + check
        k += 1


def gsrn_make(n: int, *, prefix: str = "735999") -> str:
    """A valid 18-digit GSRN, unique per (prefix, n)."""
    from common.validators import gs1_check_digit

    payload = f"{prefix}{n:0{17 - len(prefix)}d}"
    return payload + gs1_check_digit(payload)


def bidding_zone(lat: float) -> str:
    return "SE1" if lat >= 65.5 else "SE2" if lat >= 62.0 else "SE3" if lat >= 56.8 else "SE4"

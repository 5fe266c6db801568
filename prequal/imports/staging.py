"""Staging an import: checked rows wait in temporary tables, then go in at once.

Why: an import that writes its rows into the real tables inside one transaction holds that
transaction for as long as the whole file takes to check. On SQLite the transaction holds the
database's one write lock (BEGIN IMMEDIATE), so every other user's write waited and then
failed with "database is locked" while a 200,000-row file was imported. A TEMP table belongs
to the import's own connection (SQLite keeps it in a separate temporary database, PostgreSQL
in the session): filling it takes no lock another connection needs. Only the swap, two
INSERT ... SELECT statements in one short transaction, takes the write lock, and the import
stays all or nothing: nothing reaches the real tables unless every row is good.

Read by prequal.imports.importer (the batches) and prequal.imports.service (create, swap, drop).
"""

from __future__ import annotations

import secrets

from django.db import connection

from observability.models import ConnectionPoint
from prequal.imports.sql import POINT_INSERT_COLUMNS, SPU_INSERT_COLUMNS, model_columns_check, table_insert
from prequal.models import Spu

# The staged columns: a point's details, and an SPU with the GSRN of its point (its id is
# known only after the swap) and its line in the file (the SPUs' ids follow the file).
_POINT_FIELDS = (
    (ConnectionPoint, "gsrn"), (ConnectionPoint, "connecting_so"), (ConnectionPoint, "latitude"),
    (ConnectionPoint, "longitude"), (ConnectionPoint, "voltage_level"), (ConnectionPoint, "bidding_zone"),
)
_SPU_FIELDS = (
    (ConnectionPoint, "gsrn"), (Spu, "code"), (Spu, "name"), (Spu, "technology"),
    (Spu, "max_up_kw"), (Spu, "max_down_kw"),
)


class ImportStaging:
    """The two temporary tables of one import, on the current thread's connection."""

    def __init__(self) -> None:
        token = secrets.token_hex(6)
        self.points_table = f"import_points_{token}"
        self.spus_table = f"import_spus_{token}"
        self.staged_spus = 0
        self._created = False

    def create(self) -> None:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table, fields in ((self.points_table, _POINT_FIELDS), (self.spus_table, _SPU_FIELDS)):
                # The real columns' own types, so values compare and convert as in the real table.
                columns = [f"{quote(name)} {model._meta.get_field(name).db_type(connection)}"
                           for model, name in fields]
                if table == self.spus_table:
                    columns.insert(0, f"{quote('line')} integer")
                cursor.execute(f"CREATE TEMPORARY TABLE {quote(table)} ({', '.join(columns)})")
        self._created = True

    def add(self, *, points: list[tuple], spus: list[tuple]) -> None:
        """Stage checked rows: points as (gsrn, so id, lat, lon, voltage, zone), SPUs as
        (line, gsrn, code, name, technology, max up, max down)."""
        if points:
            table_insert(self.points_table, [name for _model, name in _POINT_FIELDS], points)
        if spus:
            table_insert(self.spus_table, ["line", *(name for _model, name in _SPU_FIELDS)], spus)
            self.staged_spus += len(spus)

    def swap(self, *, fsp_id: int, now) -> int:
        """Insert the staged points and SPUs into the real tables; the SPUs stored.

        Call inside a transaction. An SPU whose connection point was deleted since it was
        checked is not stored: the caller compares the count with what was staged.
        """
        model_columns_check(ConnectionPoint, POINT_INSERT_COLUMNS)
        model_columns_check(Spu, SPU_INSERT_COLUMNS)
        quote = connection.ops.quote_name
        point_table = quote(ConnectionPoint._meta.db_table)

        def columns(model, names) -> str:
            return ", ".join(quote(model._meta.get_field(name).column) for name in names)

        staged_points = ", ".join(quote(name) for _model, name in _POINT_FIELDS)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {point_table} ({columns(ConnectionPoint, POINT_INSERT_COLUMNS)}) "
                f"SELECT {staged_points}, %s, %s FROM {quote(self.points_table)}",
                [now, now],
            )
            cursor.execute(
                f"INSERT INTO {quote(Spu._meta.db_table)} ({columns(Spu, SPU_INSERT_COLUMNS)}) "
                f"SELECT %s, p.{quote('id')}, s.{quote('code')}, s.{quote('name')}, "
                f"s.{quote('technology')}, s.{quote('max_up_kw')}, s.{quote('max_down_kw')}, "
                f"%s, NULL, %s, %s FROM {quote(self.spus_table)} s "
                f"JOIN {point_table} p ON p.{quote('gsrn')} = s.{quote('gsrn')} "
                f"ORDER BY s.{quote('line')}",
                [fsp_id, True, now, now],
            )
            return cursor.rowcount

    def drop(self) -> None:
        if not self._created:
            return
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table in (self.points_table, self.spus_table):
                cursor.execute(f"DROP TABLE IF EXISTS {quote(table)}")
        self._created = False

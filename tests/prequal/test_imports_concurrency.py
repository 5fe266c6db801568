"""A large import does not block other users' writes (issue 13).

The import is paused after a batch (its progress callback) while another thread, on its own
connection, registers an SPU of another FSP. The pause makes it deterministic: whatever the
import holds at that moment it holds for as long as the other write waits.

On SQLite (a file database, as installations run it) the import used to hold the one write
lock from its first row to its last: the other write failed with "database is locked". On
PostgreSQL the other write is never blocked, and the import takes no lock on a whole table
beyond what every INSERT takes.
"""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection

from prequal.models import Spu
from tests.factories import SpuFactory
from tests.prequal.test_imports import csv_bytes, row, run
from tests.sqlite_file import sqlite_file_database

pytestmark = pytest.mark.django_db(transaction=True)

# Strong table locks an import must not take (an INSERT takes ROW EXCLUSIVE, a read ACCESS SHARE).
_TABLE_BLOCKING = {"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"}


def _in_other_thread(work):
    """Run `work` on another thread (its own database connection); its result or its error."""
    outcome: list = []

    def target():
        try:
            outcome.append(work())
        except OperationalError as exc:
            outcome.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    return outcome[0]


def _import_while_another_fsp_registers(cast, monkeypatch):
    monkeypatch.setattr("prequal.imports.reading.BATCH_ROWS", 5)
    seen: list = []
    importer_pid = connection.connection.info.backend_pid if connection.vendor == "postgresql" else None

    def another_fsp_registers(rows):
        if rows != 10:  # once, in the middle of the file
            return

        def register():
            if importer_pid is not None:
                with connection.cursor() as cursor:
                    cursor.execute("SET lock_timeout = '2s'")  # a blocked write fails, not hangs
            spu = SpuFactory(fsp=cast.fsp_b, connection_point__connecting_so=cast.local)
            locks = []
            if importer_pid is not None:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                        "WHERE l.pid = %s AND l.granted", [importer_pid],
                    )
                    locks = cursor.fetchall()
            return spu.pk, locks

        seen.append(_in_other_thread(register))

    result = run(cast, csv_bytes([row(cast, n) for n in range(1, 21)]), progress=another_fsp_registers)
    return result, seen


def test_another_fsp_writes_while_an_import_runs_on_sqlite(cast, monkeypatch, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite file case; PostgreSQL has its own test below")
    with sqlite_file_database(tmp_path / "db.sqlite3", timeout=0.2):
        result, seen = _import_while_another_fsp_registers(cast, monkeypatch)

        assert not isinstance(seen[0], OperationalError), seen[0]  # was: "database is locked"
        assert result.ok, result.errors
        assert Spu.objects.filter(fsp=cast.fsp_a).count() == 20
        assert Spu.objects.filter(fsp=cast.fsp_b, pk=seen[0][0]).exists()


@pytest.mark.postgres
def test_an_import_takes_no_lock_another_fsps_write_needs_on_postgres(cast, monkeypatch):
    result, seen = _import_while_another_fsp_registers(cast, monkeypatch)

    assert not isinstance(seen[0], OperationalError), seen[0]
    spu_pk, locks = seen[0]
    assert not [(table, mode) for table, mode in locks if mode in _TABLE_BLOCKING], locks
    assert result.ok, result.errors
    assert Spu.objects.filter(fsp=cast.fsp_a).count() == 20
    assert Spu.objects.filter(fsp=cast.fsp_b, pk=spu_pk).exists()

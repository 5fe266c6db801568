"""The test database as a file, for tests of several SQLite connections at once.

Django's SQLite test database lives in memory with a shared cache, where connections lock
each other per table and never wait (SQLITE_LOCKED), unlike the file an installation runs on
(one writer at a time, the others wait up to `timeout`, WAL readers never blocked). A test of
that behaviour copies the test database into a file, points every new connection of every
thread at it, and puts everything back afterwards.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection, connections


@contextmanager
def sqlite_file_database(path: Path, *, timeout: float) -> Iterator[Path]:
    """While open, the default database is a file copy of the test database (its rows as they
    are now), opened with this busy `timeout` (seconds)."""
    settings = connection.settings_dict
    original_name, options = settings["NAME"], settings.setdefault("OPTIONS", {})
    original_timeout = options.get("timeout")
    connection.ensure_connection()
    # Keeps the in-memory database alive while Django's connections point elsewhere.
    keeper = sqlite3.connect(original_name, uri=True, check_same_thread=False)
    with sqlite3.connect(path) as target:
        connection.connection.backup(target)
        target.execute("PRAGMA journal_mode=WAL")  # as config/env.py opens it
    target.close()
    connections.close_all()
    connection.connection = None
    settings["NAME"], options["timeout"] = str(path), timeout
    try:
        yield path
    finally:
        connections.close_all()
        settings["NAME"] = original_name
        if original_timeout is None:
            options.pop("timeout", None)
        else:
            options["timeout"] = original_timeout
        connection.ensure_connection()
        keeper.close()

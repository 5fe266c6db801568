import os

from django.db import connection


def test_suite_runs_on_the_configured_database(db):
    """Guards the PostgreSQL run: DATABASE_URL=postgres://… must really give PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "sqlite:///")
    expected = "postgresql" if url.startswith("postgres") else "sqlite"
    assert connection.vendor == expected

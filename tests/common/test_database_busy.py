"""A write that finds the database busy beyond its timeout: 503 with Retry-After, never a 500.

SQLite (a file database, as installations run it): another connection holds the write lock
(as the swap of a large import does for a moment) longer than this connection's timeout.
"""

from __future__ import annotations

import sqlite3

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from prequal.models import Spu
from tests.registry_helpers import spu_form_data, spu_payload
from tests.sqlite_file import sqlite_file_database

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def locked_database(cast, tmp_path):
    """The file database with another connection holding its write lock."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's one writer; PostgreSQL does not lock whole tables for writers")
    with sqlite_file_database(tmp_path / "db.sqlite3", timeout=0.1) as path:
        holder = sqlite3.connect(path, isolation_level=None)

        def lock():
            holder.execute("BEGIN IMMEDIATE")
            return lambda: holder.execute("ROLLBACK")

        yield lock
        holder.close()


def test_an_api_write_gets_a_json_503_with_retry_after(cast, locked_database):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(cast.fsp_b_user)
    release = locked_database()

    response = client.post(reverse("api:spu-list"), spu_payload(cast), format="json")
    release()

    assert response.status_code == 503  # was: 500
    assert response["Content-Type"].startswith("application/json")
    assert int(response["Retry-After"]) > 0
    assert "try again" in response.json()["detail"]
    assert not Spu.objects.filter(fsp=cast.fsp_b).exists()


def test_a_page_write_gets_a_503_page_with_retry_after(cast, locked_database):
    client = Client(raise_request_exception=False)
    client.force_login(cast.fsp_b_user)  # the session is written before the lock is taken
    locked_database()

    response = client.post(reverse("prequal:spu-create"), spu_form_data(
        connecting_so=cast.local.pk, x="18.0686", y="59.3293", voltage_level="lv", bidding_zone="SE3",
    ))

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert b'id="database-busy"' in response.content

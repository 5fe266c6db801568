"""/healthz reports the database and the broker (SPEC §5), including the embedded filesystem broker."""

from __future__ import annotations

import pytest


def _filesystem_broker(settings, folder) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(folder / "control"),
    }


@pytest.mark.django_db
def test_healthz_is_ok_with_a_usable_filesystem_broker(client, settings, tmp_path):
    (tmp_path / "control").mkdir()
    _filesystem_broker(settings, tmp_path)

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == {"status": "ok", "transport": "filesystem"}
    assert response.json()["checks"]["database"]["status"] == "ok"


@pytest.mark.django_db
def test_healthz_fails_when_the_filesystem_broker_folder_is_missing(client, settings, tmp_path):
    _filesystem_broker(settings, tmp_path / "gone")

    response = client.get("/healthz")

    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker["status"] == "error"
    assert broker["error"] == "data_folder_in unusable"


@pytest.mark.django_db
def test_healthz_fails_when_a_redis_broker_does_not_answer(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    # Port 9 (discard) on localhost: nothing listens there.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["transport"] == "redis"


@pytest.mark.django_db
def test_healthz_reports_the_database_and_an_eager_broker(client, settings):
    # The test settings run tasks eagerly: there is no broker to ask, and /healthz says so.
    from django.db import connection

    settings.CELERY_TASK_ALWAYS_EAGER = True

    response = client.get("/healthz")  # no login: load balancers have none

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            # SQLite here, PostgreSQL under scripts/with-postgres.
            "database": {"status": "ok", "vendor": connection.vendor},
            "broker": {"status": "ok", "transport": "eager"},
        },
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_fails(client, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from django.db import connection
    from django.db.utils import OperationalError

    def broken_cursor(*args, **kwargs):
        raise OperationalError("database is down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["checks"]["database"] == {"status": "error", "error": "OperationalError"}
    assert response.json()["checks"]["broker"]["status"] == "ok"


@pytest.mark.django_db
def test_healthz_only_answers_get(client):
    assert client.post("/healthz").status_code == 405

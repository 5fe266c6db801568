"""The production set-up end to end (SPEC §8): gunicorn, PostgreSQL, Redis, a Celery worker and
exactly one beat, each its own process on 127.0.0.1, and a full journey over HTTP.

Production settings: DJANGO_DEBUG=false, DJANGO_SECURE=true (secure cookies, HSTS, SSL redirect)
and collected static files served by whitenoise. TLS ends at the reverse proxy, which tells the
app with `X-Forwarded-Proto: https` (SECURE_PROXY_SSL_HEADER); the test sends that header on
every request, as the proxy would, and handles the Secure cookies itself (plain HTTP on loopback).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from prequal.models import Assessment
from tests.grid import make_grid
from tests.platform.processes import PROXY, Beat, Gunicorn, production_env
from tests.services import (
    BASE_DIR,
    CeleryWorker,
    database_url_for,
    require_postgres,
    wait_until,
)
from tests.workflow_helpers import ensure_default_deadline_rule

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-1"
SWEEP_TASK = "prequal.tasks.deadlines_sweep_task"
@pytest.fixture
def production(redis_server, tmp_path):
    """gunicorn (2 workers) and the market platforms' gunicorn (1 worker, `.lean`), one Celery worker,
    one beat: production settings, test database."""
    require_postgres()
    redis_server.flush()
    static_root = Path(tempfile.mkdtemp(prefix="gridprequal-static-", dir=tmp_path))
    env = production_env(
        database_url=database_url_for(connection.settings_dict),
        broker_url=redis_server.url,
        static_root=static_root,
    )
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300,
    )
    assert collect.returncode == 0, collect.stderr
    # The sweep every 5 seconds (production: every minute) so silence shows within the test.
    ensure_default_deadline_rule()
    every_5s, _ = IntervalSchedule.objects.get_or_create(every=5, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(task=SWEEP_TASK).delete()
    PeriodicTask.objects.create(name="Deadline sweep", task=SWEEP_TASK, interval=every_5s, enabled=True)

    web = Gunicorn(env=env, log_path=tmp_path / "gunicorn.log")
    # The second server of README's Production section, for market platforms' activation checks.
    web.lean = Gunicorn(
        env=env, log_path=tmp_path / "gunicorn-lean.log", workers=1, app="config.wsgi_lean:application"
    )
    worker = CeleryWorker(
        broker_url=redis_server.url, database_url=env["DATABASE_URL"], beat=False, concurrency=2,
        log_path=tmp_path / "worker.log",
    )
    beat = Beat(env=env, log_path=tmp_path / "beat.log")
    try:
        web.start()
        web.lean.start()
        worker.start()
        beat.start()
        yield web
    finally:
        beat.stop()
        worker.stop()
        web.lean.stop()
        web.stop()


class Http:
    """A client as behind the TLS proxy: X-Forwarded-Proto on every request, cookies by hand."""

    def __init__(self, base: str) -> None:
        import requests

        self.base = base
        self.session = requests.Session()
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs):
        headers = {**PROXY, **kwargs.pop("headers", {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.session.request(method, self.base + path, headers=headers, allow_redirects=False,
                                        timeout=30, **kwargs)
        for header in response.raw.headers.getlist("Set-Cookie"):
            cookie = SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                assert morsel["secure"], f"cookie {key} is not Secure"
                self.cookies[key] = morsel.value
        return response

    def token(self, username: str) -> dict[str, str]:
        response = self.request("POST", "/api/auth/token/", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Token {response.json()['token']}"}

    def login(self, username: str) -> None:
        self.request("GET", "/accounts/login/")
        response = self.request(
            "POST", "/accounts/login/",
            data={"username": username, "password": PASSWORD,
                  "csrfmiddlewaretoken": self.cookies["csrftoken"]},
            headers={"Referer": f"https://127.0.0.1:{self.base.rsplit(':', 1)[1]}/accounts/login/"},
        )
        assert response.status_code == 302, response.text[:500]


def _production_passwords(cast, settings) -> None:
    """The test settings hash with MD5 for speed; production knows only its own hashers."""
    from django.conf import global_settings

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    for user in (cast.fsp_a_user, cast.local_engineer, cast.tso_engineer, cast.nra_analyst):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])


def test_full_journey_over_http(production, cast, settings):
    _production_passwords(cast, settings)
    grid = make_grid(cast)
    http = Http(production.url)

    # Health, headers and static files as production serves them.
    health = http.request("GET", "/healthz")
    assert health.status_code == 200, health.text
    assert health.json()["checks"]["broker"]["transport"] == "redis"
    assert http.request("GET", "/accounts/login/", headers={"X-Forwarded-Proto": "http"}).status_code == 301
    page = http.request("GET", "/accounts/login/")
    assert page.status_code == 200
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert http.request("GET", "/static/vendor/leaflet/leaflet.js").status_code == 200
    # Pages link the hashed names (manifest storage), which whitenoise serves cached for ever.
    css_path = page.text.split('href="/static/css/app.', 1)[1].split('"', 1)[0]
    static = http.request("GET", f"/static/css/app.{css_path}")
    assert static.status_code == 200
    assert "immutable" in static.headers["Cache-Control"]

    fsp, local, tso = http.token("fsp_a_user"), http.token("local_engineer"), http.token("tso_engineer")

    # The FSP applies; both assessing SOs approve.
    response = http.request("POST", "/api/cases/", json={"spu": grid.spu.pk, "product": grid.mfrr.code},
                            headers=fsp)
    assert response.status_code == 201, response.text
    case_id = response.json()["id"]
    response = http.request("POST", f"/api/cases/{case_id}/submit/", headers=fsp)
    assert response.status_code == 200, response.text
    for headers in (local, tso):
        queue = http.request("GET", "/api/queue/", headers=headers).json()["results"]
        mine = [a for a in queue if a["case"]["id"] == case_id]
        assert len(mine) == 1, queue
        response = http.request("POST", f"/api/assessments/{mine[0]['id']}/decide/",
                                json={"outcome": "approved"}, headers=headers)
        assert response.status_code == 200, response.text
    assert http.request("GET", f"/api/cases/{case_id}/", headers=fsp).json()["status"] == "approved"

    # A second application nobody answers: beat sends the sweep, the worker approves it by silence.
    spu2 = grid.new_spu(code="BAT-2")
    response = http.request(
        "POST", "/api/cases/", json={"spu": spu2.pk, "product": grid.mfrr.code}, headers=fsp
    )
    silent_id = response.json()["id"]
    assert http.request("POST", f"/api/cases/{silent_id}/submit/", headers=fsp).status_code == 200
    Assessment.objects.filter(case_id=silent_id).update(deadline=timezone.now() + timedelta(seconds=1))
    wait_until(
        lambda: http.request("GET", f"/api/cases/{silent_id}/", headers=fsp).json()["status"] == "approved",
        timeout=60, interval=1, message="approval by silence through beat and the worker",
    )
    assert set(Assessment.objects.filter(case_id=silent_id).values_list("status", flat=True)) == {
        Assessment.Status.APPROVED_BY_SILENCE
    }

    # The local DSO sets a temporary limit; the activation check answers with it.
    start = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    response = http.request("POST", "/api/limits/", headers=local, json={
        "target_kind": "spu", "spu": grid.spu.pk, "direction": "up", "quantity_mw": "0.5",
        "start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat(), "reason": "Maintenance",
    })
    assert response.status_code == 201, response.text
    response = http.request("GET", "/api/activation-check/", headers=tso, params={
        "system_operator": cast.tso.organisation.eic_code, "spu": grid.spu.pk, "product": "mfrr-energy",
        "direction": "up", "quantity_mw": "0.8", "start": (start + timedelta(minutes=15)).isoformat(),
        "end": (start + timedelta(minutes=45)).isoformat(),
    })
    assert response.status_code == 200, response.text
    assert response.json()["color"] == "yellow"
    # The same question to the market platforms' entry (the reverse proxy's route for tokens).
    lean = Http(production.lean.url).request(
        "GET", "/api/activation-check/", headers=tso, params=response.request.url.split("?", 1)[1]
    )
    assert (lean.status_code, lean.json()) == (200, response.json())
    assert lean.headers["Strict-Transport-Security"] == page.headers["Strict-Transport-Security"]
    assert "Set-Cookie" not in lean.headers

    # The regulator downloads the annual report (a session login, as in the browser).
    http.login("nra_analyst")
    year = timezone.now().year
    response = http.request("GET", f"/resources/report/download.csv?year={year}")
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"].startswith("text/csv")
    assert len(response.content) > 0

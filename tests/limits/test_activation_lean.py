"""The activation check's lean path for token clients (SPEC §7): the WSGI dispatch that skips
the browser middleware, the view-level path that skips DRF, the token cache and the prepared
statements. Whatever the path, the answer and the errors are the ones the full stack gives."""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import Client
from rest_framework.authtoken.models import Token

from common.db import fetch_all, fetch_all_recorded, model_columns
from limits import authentication
from limits.models import MarketPlatformClient, TemporaryLimit
from prequal.models import Case
from tests.factories import UserFactory
from tests.limit_helpers import START, a_limit, check_body


@pytest.fixture
def platform_token():
    user = UserFactory(username="platform")
    MarketPlatformClient.objects.create(user=user, name="Nordic balancing platform")
    return Token.objects.create(user=user).key


def wsgi(path: str, *, body: bytes = b"", method: str = "POST", headers: dict | None = None):
    """Call config.wsgi.application (what gunicorn serves) → (status code, headers, body)."""
    from config.wsgi import application

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "SCRIPT_NAME": "",
        **(headers or {}),
    }
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)

    # As Django's test client does: the test's transaction must survive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = application(environ, start_response)
        content = b"".join(result)
        result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer["status"], answer["headers"], content


def post(key: str, data, **headers):
    return wsgi(
        "/api/activation-check/",
        body=json.dumps(data).encode() if not isinstance(data, bytes) else data,
        headers={"HTTP_AUTHORIZATION": f"Token {key}", **headers},
    )


def test_a_token_client_gets_the_answer_the_full_stack_gives(grid, platform_token):
    grid.prequalify(spu=grid.spu)
    a_limit(grid)
    status, headers, content = post(platform_token, check_body(grid, quantity_mw="0.8"))
    assert status == 200, content
    lean = json.loads(content)
    assert (lean["color"], lean["max_quantity_mw"]) == ("yellow", "0.500")
    # The same question through every middleware and DRF (a session user of the platform).
    client = Client()
    client.force_login(Token.objects.get(key=platform_token).user)
    full = client.post(
        "/api/activation-check/", check_body(grid, quantity_mw="0.8"), content_type="application/json"
    )
    assert full.status_code == 200
    assert full.json() == lean
    assert headers["Content-Type"] == "application/json"
    assert int(headers["Content-Length"]) == len(content)  # not chunked: keep-alive stays cheap


def test_lean_answers_keep_the_security_headers_and_set_no_cookie(grid, platform_token):
    status, headers, _ = post(platform_token, check_body(grid))
    assert status == 200
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Referrer-Policy" in headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "Permissions-Policy" in headers
    assert "Set-Cookie" not in headers


def test_lean_answers_speak_the_callers_language(grid, platform_token):
    status, headers, content = post(platform_token, check_body(grid), HTTP_ACCEPT_LANGUAGE="sv")
    assert status == 200
    assert headers["Content-Language"] == "sv"
    assert "inte förkvalificerad" in json.loads(content)["reasons"][0]  # not prequalified, in Swedish


@pytest.mark.parametrize(
    ("data", "status", "field"),
    [
        (b"{not json", 400, None),
        ({"spu": 999_999_999}, 400, "spu"),
        ({"quantity_mw": "-1"}, 400, "quantity_mw"),
        ({"colour": "green"}, 400, "colour"),
        ({"end": START.isoformat()}, 400, "end"),
    ],
)
def test_lean_errors_are_the_apis_json_errors(grid, platform_token, data, status, field):
    body = data if isinstance(data, bytes) else json.dumps(check_body(grid, **data)).encode()
    got, headers, content = post(platform_token, body)
    assert got == status, content
    answer = json.loads(content)
    assert answer["detail"]
    if field:
        assert field in answer["errors"]
    assert Case.objects.count() == 0  # nothing stored


def test_unknown_and_inactive_tokens_get_401_with_the_challenge(grid, platform_token):
    status, headers, content = post("0" * 40, check_body(grid))
    assert (status, json.loads(content)["detail"]) == (401, "Invalid token.")
    assert headers["WWW-Authenticate"] == "Token"
    user = Token.objects.get(key=platform_token).user
    user.is_active = False
    user.save()
    status, _, content = post(platform_token, check_body(grid))
    assert (status, json.loads(content)["detail"]) == (401, "User inactive or deleted.")


def test_a_token_without_a_role_gets_403(grid):
    key = Token.objects.create(user=grid.cast.outsider).key
    status, _, content = post(key, check_body(grid))
    assert status == 403 and json.loads(content)["detail"]


def test_an_fsp_token_cannot_check_another_fsps_resource(grid):
    key = Token.objects.create(user=grid.cast.fsp_b_user).key
    status, _, content = post(key, check_body(grid))
    assert status == 400 and "spu" in json.loads(content)["errors"]
    own = Token.objects.create(user=grid.cast.fsp_a_user).key
    assert post(own, check_body(grid))[0] == 200


def test_requests_without_a_token_take_the_full_stack(grid, platform_token):
    status, headers, content = wsgi("/api/activation-check/", body=json.dumps(check_body(grid)).encode())
    assert status == 401  # DRF's answer to an anonymous client
    # Another API path with a token is not lean: it is answered by the full stack as before.
    status, _, content = wsgi(
        "/api/limits/", method="GET", headers={"HTTP_AUTHORIZATION": f"Token {platform_token}"}
    )
    assert status in (200, 403), content


def test_the_token_cache_forgets_deleted_tokens_after_its_ttl(grid, platform_token, monkeypatch):
    assert post(platform_token, check_body(grid))[0] == 200
    Token.objects.filter(key=platform_token).delete()
    assert post(platform_token, check_body(grid))[0] == 200  # still cached in this process
    clock = authentication.time.monotonic() + authentication.TOKEN_CACHE_SECONDS + 0.1
    monkeypatch.setattr(authentication.time, "monotonic", lambda: clock)
    assert post(platform_token, check_body(grid))[0] == 401


def test_new_tokens_work_at_once_unknown_ones_are_not_cached(grid):
    user = UserFactory(username="late-platform")
    MarketPlatformClient.objects.create(user=user, name="Late platform")
    key = "1" * 40
    assert post(key, check_body(grid))[0] == 401
    Token.objects.create(user=user, key=key)
    assert post(key, check_body(grid))[0] == 200


def test_fetch_all_converts_values_as_the_orm_does(grid):
    grid.prequalify(spu=grid.spu)
    fields = ("id", "status", "valid_until", "decided_at")
    rows = fetch_all(
        "SELECT id, status, valid_until, decided_at FROM prequal_case WHERE spu_id = %s",
        [grid.spu.pk],
        columns=model_columns(Case, fields),
    )
    expected = list(Case.objects.filter(spu=grid.spu).values_list(*fields))
    assert [tuple(r) for r in rows] == expected
    assert rows[0][3].tzinfo is not None


def test_fetch_all_recorded_gives_each_statement_of_a_check_with_its_parameters(grid, platform_token):
    """What bench/activation_bench.py's floor replays: the check's own statements, as sent."""
    grid.prequalify(spu=grid.spu)
    with fetch_all_recorded() as recorded:
        assert post(platform_token, check_body(grid))[0] == 200
    assert recorded and all(isinstance(sql, str) and isinstance(params, list) for sql, params in recorded)
    assert any(grid.spu.pk in params for _sql, params in recorded)
    made = len(recorded)
    fetch_all("SELECT 1")
    assert len(recorded) == made  # closed: later statements are not recorded
    with fetch_all_recorded() as again:
        fetch_all("SELECT 1")
    assert again == [("SELECT 1", [])]


@pytest.mark.postgres
def test_the_hot_statements_are_prepared_on_postgresql(grid, platform_token):
    grid.prequalify(spu=grid.spu)
    a_limit(grid)
    for quantity in ("0.1", "0.2"):
        assert post(platform_token, check_body(grid, quantity_mw=quantity))[0] == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name LIKE '_pg3_%%'")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("FROM prequal_spu s" in sql for sql in prepared), prepared
    assert any("FROM limits_temporarylimit" in sql for sql in prepared), prepared
    # A prepared statement sees data committed after it was prepared (plans, not results, are kept).
    TemporaryLimit.objects.update(quantity_mw=Decimal("0.2"))
    status, _, content = post(platform_token, check_body(grid, quantity_mw="0.3"))
    assert json.loads(content)["max_quantity_mw"] == "0.200"


def test_a_period_across_the_dst_change_answers_the_same_on_both_paths(grid, platform_token):
    grid.prequalify(spu=grid.spu)
    start = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)  # 01:30 → 04:30 local: clocks go forward
    data = check_body(grid, start=start.isoformat(), end=(start + timedelta(hours=2)).isoformat())
    status, _, content = post(platform_token, data)
    client = Client()
    client.force_login(Token.objects.get(key=platform_token).user)
    assert status == 200
    assert client.post("/api/activation-check/", data, content_type="application/json").json() == json.loads(
        content
    )


def test_the_wsgi_module_freezes_what_it_loaded():
    """Full garbage-collector passes over the loaded app would stall workers now and then."""
    import gc

    import config.wsgi  # noqa: F401

    assert gc.get_freeze_count() > 10_000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_dropped_is_replaced_without_an_error(grid, platform_token):
    """No per-request health check on the lean path: a dropped connection is found when a statement
    fails on it, and the read is sent again on a new one (outside a transaction)."""
    import psycopg

    from tests.services import database_url_for

    assert post(platform_token, check_body(grid))[0] == 200
    backend = connection.connection.info.backend_pid
    with psycopg.connect(database_url_for(connection.settings_dict), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [backend])
    status, _, content = post(platform_token, check_body(grid))
    assert status == 200, content
    assert connection.connection.info.backend_pid != backend


def test_a_database_failure_on_the_lean_path_is_a_json_500_without_a_trace(
    grid, platform_token, monkeypatch
):
    from django.db import OperationalError

    import limits.selectors

    def broken(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(limits.selectors, "fetch_all", broken)
    status, headers, content = post(platform_token, check_body(grid))
    assert status == 500
    assert headers["Content-Type"].startswith("application/json")
    assert b"Traceback" not in content and b"OperationalError" not in content


@pytest.mark.postgres
def test_area_limits_are_found_through_the_gist_index(grid):
    """EXPLAIN of the real limits query: the area branch uses limit_area_box_period, not a scan."""
    import json as json_
    import random

    from django.test.utils import CaptureQueriesContext

    from limits.activation import limits_overlapping
    from limits.models import TargetKind

    rng = random.Random(3)
    rows = []
    for _ in range(3000):  # many area limits over a month all over the country
        lon, lat = rng.uniform(11, 24), rng.uniform(55, 69)
        start = START + timedelta(hours=rng.randrange(24 * 30))
        rows.append(
            TemporaryLimit(
                system_operator=grid.cast.local, target_kind=TargetKind.AREA, area_geojson="{}",
                min_lon=lon - 0.1, max_lon=lon + 0.1, min_lat=lat - 0.05, max_lat=lat + 0.05,
                direction="up", quantity_mw=Decimal("0.5"), start=start, end=start + timedelta(hours=4),
                reason="bench", created_by=grid.cast.local_engineer,
            )
        )
    TemporaryLimit.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE limits_temporarylimit")
    with CaptureQueriesContext(connection) as ctx:
        limits_overlapping(
            start=START + timedelta(days=3), end=START + timedelta(days=3, hours=1),
            spu_ids=[grid.spu.pk], connection_point_ids=[grid.cp.pk],
            points=[(grid.cp.longitude, grid.cp.latitude), (15.0, 60.0)],
        )
    (sql,) = [q["sql"] for q in ctx.captured_queries if "limits_temporarylimit" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = json_.dumps(cursor.fetchone()[0])
    assert plan.count('"Index Name": "limit_area_box_period"') == 2, plan
    assert '"Seq Scan"' not in plan, plan

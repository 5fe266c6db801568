"""The activation check's lean entry for market platforms (SPEC §7): the settings that skip the
browser middleware (config/settings_lean.py, served by config/wsgi_lean.py), the view-level path
that skips DRF, the token cache and the prepared statements. Whatever the entry, the answer, the
errors and the security headers are the ones the full stack gives."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from config import settings_lean
from limits import authentication
from limits.models import MarketPlatformClient
from prequal.models import Case
from tests.factories import UserFactory
from tests.limit_helpers import START, a_limit, check_body
from tests.limits.lean_entry import post, wsgi

# The headers the full stack's middleware set on an API answer; the lean entry must set them alike.
SECURITY_HEADERS = (
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Permissions-Policy",
    "Strict-Transport-Security",
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
    # And with the token through the full stack's entry (a deployment without the lean server).
    status, _, content = post(platform_token, check_body(grid, quantity_mw="0.8"), full=True)
    assert (status, json.loads(content)) == (200, lean)
    assert headers["Content-Type"] == "application/json"
    assert int(headers["Content-Length"]) == len(content)  # not chunked


@pytest.mark.parametrize("secure", [False, True])
def test_lean_answers_keep_the_full_stacks_security_headers_and_set_no_cookie(
    grid, platform_token, settings, secure
):
    settings.SECURE_HSTS_SECONDS = 3600 if secure else 0
    proxy = {"HTTP_X_FORWARDED_PROTO": "https"} if secure else {}
    status, headers, _ = post(platform_token, check_body(grid), **proxy)
    assert status == 200
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "Set-Cookie" not in headers
    _, full, _ = post(platform_token, check_body(grid), full=True, **proxy)
    assert {h: headers.get(h) for h in SECURITY_HEADERS} == {h: full.get(h) for h in SECURITY_HEADERS}
    assert ("Strict-Transport-Security" in headers) is secure
    nonce = re.compile(r"'nonce-[^']+'")
    assert nonce.sub("", headers["Content-Security-Policy"]) == nonce.sub("", full["Content-Security-Policy"])


def test_lean_answers_speak_the_callers_language(grid, platform_token):
    status, headers, content = post(platform_token, check_body(grid), HTTP_ACCEPT_LANGUAGE="sv")
    assert status == 200
    assert headers["Content-Language"] == "sv"
    assert "inte förkvalificerad" in json.loads(content)["reasons"][0]  # not prequalified, in Swedish


@pytest.mark.parametrize(
    ("data", "status", "field"),
    [
        (b"{not json", 400, None),
        ({"spu": 999_999_999}, 404, None),
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


@pytest.mark.parametrize("ids", [{"spu": 2**70}, {"spu": -(2**70)}, {"spu": 0}, {"spu": None, "spg": 2**63}])
def test_ids_out_of_range_get_a_400_on_the_field_from_either_entry(grid, platform_token, ids):
    body = check_body(grid, **ids)
    body = {k: v for k, v in body.items() if v is not None}
    field = next(k for k, v in ids.items() if v is not None)
    answers = [post(platform_token, body, full=full) for full in (False, True)]
    for status, _headers, content in answers:
        assert status == 400, content
        assert list(json.loads(content)["errors"]) == [field]
    assert json.loads(answers[0][2]) == json.loads(answers[1][2])


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
    assert status == 404 and json.loads(content)["detail"]
    own = Token.objects.create(user=grid.cast.fsp_a_user).key
    assert post(own, check_body(grid))[0] == 200


def test_the_lean_entry_serves_the_activation_check_only(grid, platform_token):
    """The reverse proxy sends token requests for the check here; anything else is not found."""
    status, headers, content = wsgi("/api/activation-check/", body=json.dumps(check_body(grid)).encode())
    assert status == 401  # DRF's answer to an anonymous client, as on the full stack
    assert wsgi("/api/activation-check/", body=json.dumps(check_body(grid)).encode(), full=True)[0] == 401
    token = {"HTTP_AUTHORIZATION": f"Token {platform_token}"}
    for path in ("/api/limits/", "/admin/", "/accounts/login/"):
        status, headers, content = wsgi(path, method="GET", headers=token)
        assert (status, headers["Content-Type"]) == (404, "application/json")
        assert json.loads(content)["detail"]
    # Another API path with a token is answered by the full stack as before.
    status, _, content = wsgi("/api/limits/", method="GET", headers=token, full=True)
    assert status in (200, 403), content


def test_the_lean_entry_loads_the_lean_settings_whatever_the_environment_says(tmp_path):
    """gunicorn config.wsgi_lean:application in an environment shared with the full server."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    code = (
        "import gc, config.wsgi_lean as entry; from django.conf import settings; "
        "print(settings.SETTINGS_MODULE, settings.ROOT_URLCONF, len(settings.MIDDLEWARE), "
        "gc.get_freeze_count() > 10_000, type(entry.application).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [
        "config.settings_lean",
        "config.lean_urls",
        str(len(settings_lean.MIDDLEWARE)),
        "True",
        "LeanWSGIHandler",
    ]


def test_the_token_cache_forgets_deleted_tokens_after_its_ttl(grid, platform_token, monkeypatch):
    assert post(platform_token, check_body(grid))[0] == 200
    Token.objects.filter(key=platform_token).delete()
    assert post(platform_token, check_body(grid))[0] == 200  # still cached in this process
    clock = authentication.time.monotonic() + authentication.TOKEN_CACHE_SECONDS + 0.1
    monkeypatch.setattr(authentication.time, "monotonic", lambda: clock)
    assert post(platform_token, check_body(grid))[0] == 401


def test_new_tokens_work_at_once_unknown_ones_are_not_cached(grid):
    user = UserFactory(username="late-platform")
    MarketPlatformClient.objects.create(user=user, name="Late platform").system_operators.add(grid.cast.tso)
    key = "1" * 40
    assert post(key, check_body(grid))[0] == 401
    Token.objects.create(user=user, key=key)
    assert post(key, check_body(grid))[0] == 200


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


def test_a_database_failure_on_the_lean_path_is_a_json_500_without_a_trace(grid, platform_token, monkeypatch):
    from django.db import OperationalError

    import limits.activation.access

    def broken(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(limits.activation.access, "fetch_all", broken)
    status, headers, content = post(platform_token, check_body(grid))
    assert status == 500
    assert headers["Content-Type"].startswith("application/json")
    assert b"Traceback" not in content and b"OperationalError" not in content


def _same_but_the_nonce(headers: dict) -> dict:
    nonce = re.compile(r"'nonce-[^']+'")
    return {name: nonce.sub("'nonce'", value) for name, value in headers.items()}


@pytest.mark.parametrize(
    ("data", "headers"),
    [
        ({"quantity_mw": "0.8"}, {}),
        ({"quantity_mw": "0.8"}, {"HTTP_ACCEPT_LANGUAGE": "sv"}),
        ({"quantity_mw": "0.8"}, {"HTTP_X_FORWARDED_PROTO": "https"}),
        ({"quantity_mw": "-1"}, {"HTTP_ACCEPT_LANGUAGE": "sv"}),
        ({"spu": 999_999_999}, {}),
        (b"{not json", {}),
    ],
)
def test_beneath_the_chain_the_answer_and_every_header_are_the_chains(
    grid, platform_token, settings, data, headers
):
    """config.lean_handler calls the lean middleware's own methods instead of the chain: the same
    status, body and headers (but the CSP nonce, new per answer) as the chain itself gives."""
    settings.SECURE_HSTS_SECONDS = 3600
    grid.prequalify(spu=grid.spu)
    a_limit(grid)
    body = data if isinstance(data, bytes) else check_body(grid, **data)
    lean = post(platform_token, body, **headers)
    chain = post(platform_token, body, chain=True, **headers)
    assert (lean[0], lean[2]) == (chain[0], chain[2])
    assert _same_but_the_nonce(lean[1]) == _same_but_the_nonce(chain[1])
    if headers.get("HTTP_X_FORWARDED_PROTO"):
        assert "Strict-Transport-Security" in lean[1]


def test_a_token_post_is_answered_beneath_the_chain_anything_else_through_it(
    grid, platform_token, monkeypatch
):
    from django.core.handlers.base import BaseHandler

    chained = []
    through = BaseHandler.get_response
    monkeypatch.setattr(
        BaseHandler, "get_response", lambda self, request: chained.append(1) or through(self, request)
    )
    assert post(platform_token, check_body(grid))[0] == 200
    assert chained == []
    token = {"HTTP_AUTHORIZATION": f"Token {platform_token}"}
    assert wsgi("/api/activation-check/", method="GET", headers=token)[0] == 400  # no parameters
    assert wsgi("/api/activation-check/", body=json.dumps(check_body(grid)).encode())[0] == 401  # no token
    assert len(chained) == 2


def test_an_https_redirect_and_a_host_not_allowed_are_the_chains_answers(grid, platform_token, settings):
    settings.SECURE_SSL_REDIRECT = True
    lean, chain = post(platform_token, check_body(grid)), post(platform_token, check_body(grid), chain=True)
    assert lean[0] == chain[0] == 301 and lean[1]["Location"] == chain[1]["Location"]
    settings.SECURE_SSL_REDIRECT, settings.ALLOWED_HOSTS = False, ["testserver"]
    lean = post(platform_token, check_body(grid), HTTP_HOST="evil.example")
    chain = post(platform_token, check_body(grid), chain=True, HTTP_HOST="evil.example")
    assert lean[0] == chain[0] == 400 and lean[2] == chain[2]


def test_the_lean_handlers_chain_is_the_lean_settings_chain():
    """config.lean_handler steps aside (the full chain answers) when the lean settings' middleware
    or URLconf differ from the chain it reproduces: a change to one without the other would
    silently lose the short path, so the two are kept equal here."""
    from config import lean_handler

    assert tuple(settings_lean.MIDDLEWARE) == lean_handler.CHAIN
    assert settings_lean.ROOT_URLCONF == lean_handler.URLCONF

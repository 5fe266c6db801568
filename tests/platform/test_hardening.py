"""Hardening (issue 8): login throttling, security headers, `check --deploy`, upload limits, the
audit trail that no interface can change or delete."""

from __future__ import annotations

import secrets
import string
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from limits.models import ImmutableLimitRecord, LimitEvent, LimitRefusal
from prequal.models import CaseEvent, ImmutableRecordError
from tests.services import BASE_DIR, child_env

PASSWORD = "pw-for-tests-1"  # tests/factories.py UserFactory

# --- Login throttling (django-axes) -------------------------------------------------------------




def _fail(client, url: str, username: str, *, n: int) -> list[int]:
    return [client.post(url, {"username": username, "password": "wrong"}).status_code for _ in range(n)]


@pytest.mark.django_db
def test_login_page_locks_out_after_repeated_failures(client, cast, axes_on):
    url = reverse("login")
    codes = _fail(client, url, "fsp_a_user", n=3)
    assert codes[:2] == [200, 200]  # the form again, with its error
    assert codes[2] == 429
    # Locked out: even the right password is refused now, and no session is opened.
    response = client.post(url, {"username": "fsp_a_user", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another user from the same address is not locked out (username and address together).
    response = client.post(url, {"username": "fsp_b_user", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
def test_success_resets_the_failure_count(client, cast, axes_on):
    url = reverse("login")
    _fail(client, url, "fsp_a_user", n=2)
    assert client.post(url, {"username": "fsp_a_user", "password": PASSWORD}).status_code == 302
    client.logout()
    assert _fail(client, url, "fsp_a_user", n=2) == [200, 200]


@pytest.mark.django_db
def test_admin_login_is_throttled(client, cast, axes_on):
    url = reverse("admin:login")
    codes = _fail(client, url, "admin", n=3)
    assert codes[-1] == 429
    response = client.post(url, {"username": "admin", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 429


@pytest.mark.django_db
def test_api_token_endpoint_is_throttled_by_axes_too(api_client, cast, axes_on, settings):
    url = reverse("api:auth-token")
    codes = [
        api_client.post(url, {"username": "fsp_a_user", "password": "wrong"}, format="json").status_code
        for _ in range(3)
    ]
    assert codes[:2] == [400, 400]
    assert codes[2] == 429
    response = api_client.post(url, {"username": "fsp_a_user", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert "token" not in response.content.decode()


def test_axes_is_configured_for_every_login_path():
    from django.conf import settings

    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert "axes" in settings.INSTALLED_APPS


# --- Headers ------------------------------------------------------------------------------------


def _csp(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client, cast):
    client.force_login(cast.local_engineer)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    csp = _csp(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert csp["img-src"] == ["'self'", "data:", "blob:"]
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "geolocation=()" in response.headers["Permissions-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # No inline event handler or inline script in the page itself.
    html = response.content.decode()
    assert " onchange=" not in html and " onclick=" not in html
    assert "<script>" not in html


def test_no_template_has_inline_event_handlers_or_unnonced_scripts():
    import re

    offenders = []
    for path in sorted(BASE_DIR.glob("**/templates/**/*.html")):
        if ".venv" in path.parts:
            continue
        text = path.read_text()
        if re.search(r"\son[a-z]+\s*=", text):
            offenders.append(f"{path}: inline event handler")
        if re.search(r"<script(?![^>]*\b(src|nonce)=)[^>]*>", text):
            offenders.append(f"{path}: inline <script> without the CSP nonce")
    assert offenders == []


@pytest.mark.django_db
def test_nonce_is_fresh_per_request_and_used_by_the_api_docs(client, cast):
    client.force_login(cast.local_engineer)
    first = client.get(reverse("api:docs"))
    second = client.get(reverse("api:docs"))
    nonces = []
    for response in (first, second):
        nonce = next(v for v in _csp(response)["script-src"] if v.startswith("'nonce-"))[7:-1]
        assert f'nonce="{nonce}"' in response.content.decode()
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


@pytest.mark.django_db
def test_map_tile_host_is_allowed_as_images_only(client, cast, settings):
    settings.GRIDPREQUAL_MAP_TILE_URL = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    client.force_login(cast.local_engineer)
    csp = _csp(client.get(reverse("observability:map")))
    assert "https://*.tiles.example.org" in csp["img-src"]
    assert all("example.org" not in v for k, vs in csp.items() if k != "img-src" for v in vs)


def _random_secret() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits + "!@#%^&*(-_=+)") for _ in range(50))


def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    env = child_env(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=_random_secret(),
        DJANGO_ALLOWED_HOSTS="x",
        DJANGO_SECURE="true",
        GRIDPREQUAL_PUBLIC_URL="https://x",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_cookies_are_secure():
    from django.conf import settings

    # The test settings turn DJANGO_SECURE off; the production defaults are checked above by
    # check --deploy (security.W012 / W016 would fire otherwise). Here: what is on regardless.
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"


# --- Upload size limits -------------------------------------------------------------------------


@pytest.mark.django_db
def test_oversize_csv_import_is_refused_cleanly(client, cast, settings):
    from prequal.models import Spu

    settings.GRIDPREQUAL_MAX_UPLOAD_BYTES = 1024
    client.force_login(cast.fsp_a_user)
    before = Spu.objects.count()
    body = b"gsrn,name\n" + b"012345678901234560,x\n" * 200
    response = client.post(
        reverse("prequal:import"), {"file": SimpleUploadedFile("big.csv", body, "text/csv")}
    )
    assert response.status_code in {200, 400, 413}
    text = response.content.decode()
    assert "Traceback" not in text
    assert "the largest file accepted is" in text
    assert Spu.objects.count() == before


@pytest.mark.django_db
def test_oversize_area_upload_is_refused_cleanly(client, cast, settings, tmp_path):
    from observability.models import ObservabilityArea

    settings.GRIDPREQUAL_MAX_UPLOAD_BYTES = 1024
    settings.MEDIA_ROOT = tmp_path
    client.force_login(cast.local_engineer)
    body = b'{"type": "FeatureCollection", "features": []}' + b" " * 4000
    response = client.post(
        reverse("observability:area-upload"),
        {
            "system_operator": cast.local.pk,
            "file": SimpleUploadedFile("big.geojson", body, "application/geo+json"),
        },
    )
    assert response.status_code in {200, 400, 413}
    text = response.content.decode()
    assert "Traceback" not in text
    assert "big.geojson is 0.0 MB; the limit is 0.0 MB." in text
    assert not ObservabilityArea.objects.exists()


@pytest.mark.django_db
def test_oversize_request_body_is_refused_without_a_stack_trace(client, cast, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    settings.DEBUG = False
    client.raise_request_exception = False
    client.force_login(cast.fsp_a_user)
    response = client.post(reverse("prequal:case-create"), {"notes": "x" * 5000})
    assert response.status_code == 400
    assert "Traceback" not in response.content.decode()


# --- The audit trail cannot be changed or deleted -----------------------------------------------


@pytest.fixture
def audit_rows(wf):
    case = wf.submitted()
    event = CaseEvent.objects.filter(case=case).first()
    assert event is not None
    return event


@pytest.mark.django_db
def test_case_events_cannot_be_changed_or_deleted_in_code(audit_rows):
    event = audit_rows
    event.reason = "rewritten"
    with pytest.raises(ImmutableRecordError):
        event.save()
    with pytest.raises(ImmutableRecordError):
        event.delete()
    with pytest.raises(ImmutableRecordError):
        CaseEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(ImmutableRecordError):
        CaseEvent.objects.filter(pk=event.pk).delete()
    assert CaseEvent.objects.get(pk=event.pk).reason != "rewritten"


def _refusal(cast) -> LimitRefusal:
    now = timezone.now()
    return LimitRefusal.objects.create(
        system_operator=cast.local, actor=cast.local_engineer, target_kind="spu",
        requested_start=now - timedelta(hours=1), latest_allowed_at=now - timedelta(hours=2),
    )


@pytest.mark.django_db
def test_limit_history_cannot_be_changed_or_deleted_in_code(cast):
    refusal = _refusal(cast)
    with pytest.raises(ImmutableLimitRecord):
        refusal.save()
    with pytest.raises(ImmutableLimitRecord):
        refusal.delete()
    for model in (LimitRefusal, LimitEvent):
        with pytest.raises(ImmutableLimitRecord):
            model.objects.all().update(at=timezone.now())
        with pytest.raises(ImmutableLimitRecord):
            model.objects.all().delete()
    assert LimitRefusal.objects.filter(pk=refusal.pk).exists()


@pytest.mark.django_db
def test_admin_cannot_add_change_or_delete_audit_rows(client, cast, audit_rows):
    client.force_login(cast.admin)
    event = audit_rows
    refusal = _refusal(cast)
    # Case events: viewable, never editable.
    assert client.get(reverse("admin:prequal_caseevent_add")).status_code == 403
    assert client.get(reverse("admin:prequal_caseevent_delete", args=[event.pk])).status_code == 403
    response = client.post(
        reverse("admin:prequal_caseevent_change", args=[event.pk]), {"reason": "rewritten"}
    )
    assert response.status_code == 403
    response = client.post(
        reverse("admin:prequal_caseevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert response.status_code in {200, 302}
    assert CaseEvent.objects.filter(pk=event.pk, reason=event.reason).exists()
    # Limit refusals likewise; limit events have no admin page of their own.
    assert client.get(reverse("admin:limits_limitrefusal_add")).status_code == 403
    assert client.get(reverse("admin:limits_limitrefusal_delete", args=[refusal.pk])).status_code == 403
    assert LimitRefusal.objects.filter(pk=refusal.pk).exists()
    from django.contrib import admin

    assert LimitEvent not in admin.site._registry
    for model, model_admin in admin.site._registry.items():
        if model in (CaseEvent, LimitEvent, LimitRefusal):
            request = type("R", (), {"user": cast.admin})()
            assert not model_admin.has_add_permission(request)
            assert not model_admin.has_change_permission(request)
            assert not model_admin.has_delete_permission(request)


# --- Errors under /api/ are JSON, never a debug page or a stack trace (found by the fuzzer) -------


@pytest.mark.django_db
def test_api_errors_are_json_without_debug_pages(client, cast, settings, api_as):
    settings.DEBUG = False
    client.raise_request_exception = False
    api = api_as(cast.local_engineer)
    api.raise_request_exception = False
    # A URL no pattern matches (a non-integer id): JSON 404, not Django's HTML page.
    response = api.get("/api/cases/not-a-number/")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}
    # A page outside /api/ keeps its HTML 404.
    client.force_login(cast.local_engineer)
    assert "text/html" in client.get("/no-such-page/").headers["Content-Type"]
    # An id beyond 64 bits in a filter: 400 with a message, not a server error (SQLite overflow).
    response = api.get("/api/operators/", {"upstream": "-1.1e149"})
    assert response.status_code in {200, 400}
    assert response.headers["Content-Type"] == "application/json"
    # Too many form fields: Django refuses before any view; the answer is still JSON.
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = api.post("/api/assessing-sos/", {f"f{i}": "x" for i in range(20)})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"


def test_server_error_answers_without_a_stack_trace(rf):
    from common.views import server_error

    api = server_error(rf.get("/api/cases/"))
    assert api.status_code == 500 and b"Traceback" not in api.content
    assert api.headers["Content-Type"] == "application/json"
    page = server_error(rf.get("/resources/cases/"))
    assert page.status_code == 500 and b"Traceback" not in page.content


def test_the_site_icon_is_served_from_our_static_files(client, db):
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"
    assert finders.find("favicon.svg")
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get(reverse("login")).content.decode()

"""E-mail links start with the installation's configured public address (issue 15), never a
hard-coded host or port: GRIDPREQUAL_PUBLIC_URL, derived from the listening address by `make run`."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from common import mail
from config.env import env_url
from tests.services import BASE_DIR, child_env

PRINT_PUBLIC_URL = (
    "import django; django.setup(); from django.conf import settings; print(settings.GRIDPREQUAL_PUBLIC_URL)"
)


def _public_url(**env) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PRINT_PUBLIC_URL],
        cwd=BASE_DIR, env=child_env(DJANGO_SETTINGS_MODULE="config.settings", DJANGO_SECRET_KEY="x", **env),
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@override_settings(GRIDPREQUAL_PUBLIC_URL="https://grid.example.org/gp")
def test_site_url_prefixes_the_public_address():
    assert mail.site_url("/cases/3/") == "https://grid.example.org/gp/cases/3/"


def test_the_setting_comes_from_the_environment():
    assert _public_url(DJANGO_DEBUG="false", GRIDPREQUAL_PUBLIC_URL="https://grid.example.org/") == (
        "https://grid.example.org")
    # The embedded default links to the address it listens on (scripts/run-embedded sets both).
    assert _public_url(DJANGO_DEBUG="true", GRIDPREQUAL_ADDR="127.0.0.1:8123") == "http://127.0.0.1:8123"
    # Production has no default host: check --deploy warns instead (below).
    assert _public_url(DJANGO_DEBUG="false") == ""


def test_run_embedded_exports_its_own_address():
    script = (BASE_DIR / "scripts" / "run-embedded").read_text()
    assert 'export GRIDPREQUAL_PUBLIC_URL=${GRIDPREQUAL_PUBLIC_URL:-http://$ADDR}' in script


@pytest.mark.parametrize("bad", ["grid.example.org", "ftp://grid.example.org", "https://", "https://x/?a=1"])
def test_a_malformed_address_fails_loudly(monkeypatch, bad):
    monkeypatch.setenv("GRIDPREQUAL_PUBLIC_URL", bad)
    with pytest.raises(ImproperlyConfigured, match="GRIDPREQUAL_PUBLIC_URL"):
        env_url("GRIDPREQUAL_PUBLIC_URL", "")


def test_check_deploy_warns_without_it():
    with override_settings(GRIDPREQUAL_PUBLIC_URL=""):
        assert [m.id for m in mail.check_public_url()] == ["gridprequal.W001"]
    with override_settings(GRIDPREQUAL_PUBLIC_URL="https://grid.example.org"):
        assert mail.check_public_url() == []

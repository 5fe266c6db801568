"""`demo_data` on an installation with DEBUG off: refused unless forced (demo passwords are public)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User


def test_it_refuses_to_load_when_debug_is_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("demo_data", stdout=StringIO())
    assert not User.objects.exists()


def test_a_dry_run_is_allowed_when_debug_is_off(db, settings):
    settings.DEBUG = False
    out = StringIO()
    call_command("demo_data", "--dry-run", stdout=out)
    assert out.getvalue().startswith("Dry run, nothing saved.")
    assert not User.objects.exists()


def test_forced_it_loads_when_debug_is_off(db, settings):
    settings.DEBUG = False
    call_command("demo_data", "--force", stdout=StringIO())
    assert User.objects.filter(username="analyst-ei").exists()

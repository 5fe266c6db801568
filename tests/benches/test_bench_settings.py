"""The benches run without the test settings' statement timeout: a 10,000,000-record fill of the
register runs statements far longer than the 180 s that makes a runaway test fail fast."""

from __future__ import annotations

import sys

from tests.services import BASE_DIR

sys.path.insert(0, str(BASE_DIR / "bench"))

import benchkit  # noqa: E402


def test_the_statement_timeout_is_lifted_and_other_options_stay():
    databases = {
        "default": {"OPTIONS": {"options": "-c statement_timeout=180000", "sslmode": "disable"}},
        "other": {"OPTIONS": {"options": "-c statement_timeout=5s -c work_mem=64MB"}},
        "sqlite": {},
    }

    benchkit.statement_timeout_drop(databases)

    assert databases["default"]["OPTIONS"] == {"sslmode": "disable"}
    assert databases["other"]["OPTIONS"] == {"options": "-c work_mem=64MB"}
    assert databases["sqlite"] == {}


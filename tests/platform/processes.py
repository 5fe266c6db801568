"""The production processes the platform tests start (gunicorn, beat) with production settings.

Read by tests/platform/test_production.py and test_faults.py; the generic children (Redis, Celery
workers, PostgreSQL helpers) live in tests/services.py.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import pytest

from tests.services import Child, child_env, free_port, wait_until

PROXY = {"X-Forwarded-Proto": "https"}


def production_env(*, database_url: str, broker_url: str, static_root: Path) -> dict[str, str]:
    return child_env(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE="true",
        DJANGO_STATIC_ROOT=str(static_root),
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        CELERY_TASK_ALWAYS_EAGER="false",
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
    )


class Gunicorn(Child):
    def __init__(
        self, *, env: dict[str, str], log_path: Path, workers: int = 2, app: str = "config.wsgi:application"
    ) -> None:
        self.port = free_port()
        # The market platforms' entry serves the activation check only: /healthz is not found there.
        self.up_statuses = (404,) if app == "config.wsgi_lean:application" else (200, 503)
        super().__init__(
            [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(workers), "--timeout", "60", "--graceful-timeout", "5"],
            env=env, log_path=log_path,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Gunicorn:
        import requests

        super().start()

        def up():
            if not self.running():
                pytest.fail(f"gunicorn exited:\n{self.log()[-3000:]}")
            try:
                answer = requests.get(f"{self.url}/healthz", headers=PROXY, timeout=10)
                return answer.status_code in self.up_statuses
            except (requests.ConnectionError, requests.Timeout):
                return False

        wait_until(up, timeout=60, message="gunicorn to answer", details=lambda: self.log()[-3000:])
        return self


class Beat(Child):
    """`celery -A config beat` alone: exactly one in a deployment (SPEC §9)."""

    def __init__(self, *, env: dict[str, str], log_path: Path) -> None:
        super().__init__(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
             "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"],
            env=env, log_path=log_path,
        )

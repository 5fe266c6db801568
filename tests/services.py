"""Real services for integration tests: a Redis server and Celery workers on 127.0.0.1.

In CI (CI=true) a test that needs a missing service fails; elsewhere it is skipped with the
reason. Nothing here listens on anything but 127.0.0.1, and every process started is
stopped by the fixture that started it (tests/conftest.py).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def service_missing(reason: str) -> None:
    """Fail in CI (the service must be there), skip elsewhere, saying what is missing."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing service is a failure; run scripts/system-deps)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], object], *, timeout: float, interval: float = 0.2,
               message: str = "condition") -> object:
    """Poll `predicate` until it returns something truthy; fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout:.0f} s waiting for {message}.")
        time.sleep(interval)


class RedisServer:
    """A throwaway redis-server: no persistence, its own port and folder."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.dir: str | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        if not self.binary:
            service_missing("redis-server is not installed")
        self.dir = tempfile.mkdtemp(prefix="gridprequal-redis-")
        for _attempt in range(5):  # another process may take the free port first
            self.port = free_port()
            self.process = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", self.dir, "--daemonize", "no",
                 "--loglevel", "warning"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            if self._wait_ready(timeout=10):
                return self
            self.stop()
        pytest.fail("redis-server did not start on 127.0.0.1.")

    def _wait_ready(self, *, timeout: float) -> bool:
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                if client.ping():
                    return True
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        return False

    def flush(self) -> None:
        import redis

        redis.Redis(host="127.0.0.1", port=self.port).flushall()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


def database_url_for(settings_dict: dict) -> str:
    """DATABASE_URL for the database Django is connected to now (the test database)."""
    engine = settings_dict["ENGINE"]
    if "postgresql" not in engine:
        raise ValueError("Only PostgreSQL can be shared with a worker in another process.")
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{quote(settings_dict['NAME'], safe='')}"


class CeleryWorker:
    """`celery -A config worker` (optionally with embedded beat) in its own process group.

    It runs with the production settings module pointed at the test database and the test
    broker, with tasks *not* eager, so beat publishes to the broker and the worker consumes.
    """

    def __init__(self, *, broker_url: str, database_url: str, beat: bool = True,
                 concurrency: int = 2, log_path: Path | None = None) -> None:
        self.broker_url = broker_url
        self.database_url = database_url
        self.beat = beat
        self.concurrency = concurrency
        self.log_path = log_path or Path(tempfile.mkstemp(prefix="gridprequal-worker-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DJANGO_DEBUG="true",
            DJANGO_SECURE="false",
            DATABASE_URL=self.database_url,
            CELERY_BROKER_URL=self.broker_url,
            CELERY_TASK_ALWAYS_EAGER="false",
            DJANGO_EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(self) -> CeleryWorker:
        args = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--concurrency", str(self.concurrency), "--hostname", f"test-{os.getpid()}-{time.time_ns()}@%h",
        ]
        if self.beat:
            args += ["-B", "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"]
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed by the child's exit
        self.process = subprocess.Popen(
            args, cwd=BASE_DIR, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        wait_until(lambda: self.process.poll() is not None or "ready." in self.log(), timeout=60,
                   message="the Celery worker to be ready")
        if self.process.poll() is not None:
            pytest.fail(f"The Celery worker exited with {self.process.returncode}:\n{self.log()[-3000:]}")
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def kill(self) -> None:
        """SIGKILL the worker, its pool and its beat: no warm shutdown, no acknowledgement."""
        self._signal_group(signal.SIGKILL)
        if self.process:
            self.process.wait(10)

    def stop(self) -> None:
        if not self.process or self.process.poll() is not None:
            self._signal_group(signal.SIGKILL)  # leftovers of a dead worker (pool, beat)
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            pass
        self._signal_group(signal.SIGKILL)
        self.process.wait(10)

    def _signal_group(self, sig: int) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass


def require_postgres() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        service_missing(
            "needs PostgreSQL (a worker in another process cannot see the SQLite test database): "
            "run under scripts/with-postgres"
        )


def require_chromium() -> None:
    if not os.access(CHROMIUM, os.X_OK):
        service_missing(f"Chromium is not installed at {CHROMIUM}")


@contextmanager
def chromium() -> Iterator:
    """Headless Debian Chromium driven by Playwright's sync API → the launched browser.

    Playwright runs an event loop in this thread, so the ORM (allowed by DJANGO_ALLOW_ASYNC_UNSAFE)
    opens connections of its own for the test's queries meanwhile; they are closed on the way out.
    Left open, one kept PostgreSQL from dropping the test database at the end of the run.
    """
    require_chromium()
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
            connections.close_all()

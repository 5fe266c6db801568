"""Real services for integration tests: a Redis server and Celery workers on 127.0.0.1.

In CI (CI=true) a test that needs a missing service fails; elsewhere it is skipped with the
reason. Nothing here listens on anything but 127.0.0.1, and every process started is
stopped by the fixture that started it (tests/conftest.py).

Every long-running process a test starts is a `Child`: a clean, explicit environment (nothing
inherited from the test process but the few system variables below), default handling of every
signal, its own session and folder, and stopped by its process group id and reaped whatever
happens. A test process may itself have been started with SIGINT ignored (a background job of a
non-interactive shell, as CI runs it); a child inheriting that could not be stopped as Ctrl-C
stops it.
"""

from __future__ import annotations

import os
import secrets
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


# The only variables a child inherits from the test process: where programs are, whose home, the
# locale, the time zone and the temporary folder. Everything else it needs, the test says.
INHERITED_ENV = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR")
# Set in each child's environment with a value of its own: finds what it started (Child.processes).
CHILD_MARK = "GRIDPREQUAL_TEST_CHILD"


def child_env(**variables: str) -> dict[str, str]:
    """A clean environment for a child process: the system variables above plus `variables`.

    This process's own settings (DJANGO_*, DATABASE_URL of the pass, DJANGO_ALLOW_ASYNC_UNSAFE
    set by the browser tests, CI) do not leak into it; the venv's bin comes first on PATH.
    """
    env = {name: os.environ[name] for name in INHERITED_ENV if name in os.environ}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", os.defpath)])
    env["PYTHONUNBUFFERED"] = "1"
    env.update(variables)
    return env


class Child:
    """A process a test starts and stops: see the module docstring.

    `env(1)` resets every signal to its default before it executes the command (same process id),
    so the child neither inherits an ignored SIGINT nor needs a `preexec_fn` (unsafe with the
    threads of an xdist worker).
    """

    def __init__(self, args: list[str], *, env: dict[str, str], log_path: Path, cwd: Path = BASE_DIR) -> None:
        self.args, self.log_path, self.cwd = args, Path(log_path), cwd
        # Inherited by everything the child starts, even what leaves its process group (setsid).
        self.mark = f"{CHILD_MARK}={secrets.token_hex(8)}"
        self.env = {**env, CHILD_MARK: self.mark.partition("=")[2]}
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self) -> Child:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                ["env", "--default-signal", *self.args], cwd=self.cwd, env=self.env,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def signal_group(self, sig: int) -> None:
        """Send `sig` to the child's process group: the child and whatever it spawned."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass

    def processes(self) -> list[int]:
        """Live (not zombie) processes this child started, itself included, found by its mark."""
        mark = self.mark.encode() + b"\0"
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/environ", "rb") as environ:
                    if mark not in environ.read() + b"\0":
                        continue
                with open(f"/proc/{entry}/stat") as stat:
                    if stat.read().rpartition(")")[2].split()[0] != "Z":
                        found.append(int(entry))
            except OSError:  # gone meanwhile, or not ours to read
                continue
        return found

    def stop(self, *, grace: float = 20) -> int | None:
        """SIGTERM the group, wait up to `grace` s, then SIGKILL what is left; reap the child.

        What the child started outside its group (in sessions of their own) and what outlived it
        is SIGKILLed by process id. Returns the child's exit status.
        """
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.signal_group(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        self.signal_group(signal.SIGKILL)
        status = self.process.wait(10)
        for pid in self.processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return status


def wait_until(predicate: Callable[[], object], *, timeout: float, interval: float = 0.2,
               message: str = "condition", details: Callable[[], str] | None = None) -> object:
    """Poll `predicate` until it returns something truthy; fail the test after `timeout` s.

    `details` (say, the tail of a child's log) is called on failure and shown with the message.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            shown = f"\n{details()}" if details else ""
            pytest.fail(f"Timed out after {timeout:.0f} s waiting for {message}.{shown}")
        time.sleep(interval)


def a_session_waits_for_a_lock() -> bool:
    """Whether some PostgreSQL session waits for a lock now (another thread's, a worker's)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted)")
        return cursor.fetchone()[0]


def until_a_session_waits(timeout: float = 5.0) -> bool:
    """Wait up to `timeout` s until some session waits for a lock; whether one did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if a_session_waits_for_a_lock():
            return True
        time.sleep(0.02)
    return False


class RedisServer:
    """A throwaway redis-server: no persistence, its own port and folder."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        self.port = 0
        self.child: Child | None = None
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
            if self.launch():
                return self
            self.child.stop()
        pytest.fail("redis-server did not start on 127.0.0.1.")

    def launch(self) -> bool:
        """Start redis-server on this server's port and folder; True once it answers."""
        self.child = Child(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir, "--daemonize", "no", "--loglevel", "warning"],
            env=child_env(), log_path=Path(self.dir) / "redis.log",
        ).start()
        return self._wait_ready(timeout=10)

    def _wait_ready(self, *, timeout: float) -> bool:
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.child.running():
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
        if self.child:
            self.child.stop(grace=10)
            self.child = None
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
        self.child: Child | None = None

    @property
    def process(self) -> subprocess.Popen | None:
        return self.child.process if self.child else None

    def env(self) -> dict[str, str]:
        return child_env(
            DJANGO_SETTINGS_MODULE="config.settings",
            DJANGO_DEBUG="true",
            DJANGO_SECURE="false",
            DATABASE_URL=self.database_url,
            CELERY_BROKER_URL=self.broker_url,
            CELERY_TASK_ALWAYS_EAGER="false",
            DJANGO_EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        )

    def start(self) -> CeleryWorker:
        args = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--concurrency", str(self.concurrency), "--hostname", f"test-{os.getpid()}-{time.time_ns()}@%h",
        ]
        if self.beat:
            args += ["-B", "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"]
        self.child = Child(args, env=self.env(), log_path=self.log_path).start()
        try:
            wait_until(lambda: not self.child.running() or "ready." in self.log(), timeout=60,
                       message="the Celery worker to be ready", details=lambda: self.log()[-3000:])
            if not self.child.running():
                pytest.fail(f"The Celery worker exited with {self.process.returncode}:\n{self.log()[-3000:]}")
        except BaseException:  # pytest.fail included: a worker that never got ready is stopped too
            self.child.stop()
            raise
        return self

    def log(self) -> str:
        return self.child.log() if self.child else ""

    def kill(self) -> None:
        """SIGKILL the worker, its pool and its beat: no warm shutdown, no acknowledgement."""
        if self.child:
            self.child.signal_group(signal.SIGKILL)
            self.child.process.wait(10)

    def stop(self) -> None:
        if self.child:
            self.child.stop(grace=20)


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
    from django.db import connections
    from playwright.sync_api import sync_playwright

    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                yield browser
            finally:
                browser.close()
                connections.close_all()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before

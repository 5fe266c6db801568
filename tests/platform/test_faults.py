"""Faults survived (issue 8), each injected on real processes on 127.0.0.1.

- The worker killed mid-sweep and restarted: tests/platform/test_celery_integration.py
  (test_killing_the_worker_mid_sweep_loses_nothing_and_doubles_nothing), not repeated here.
- Redis restarted while the worker runs: the sweep resumes; every due assessment is approved by
  silence exactly once, with one audit entry.
- PostgreSQL stopped and started again while requests are in flight: the web app answers 503 on
  /healthz and a clean 5xx (JSON under /api/, no stack trace) meanwhile, and recovers after.
  That fault runs on a PostgreSQL cluster of its own (initdb in a temporary folder): stopping
  the shared test server would break this process's connections and those of the tests running
  in parallel in the other xdist worker.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from prequal.models import Assessment, CaseEvent
from tests.platform.processes import PROXY, Gunicorn, production_env
from tests.services import (
    BASE_DIR,
    CeleryWorker,
    RedisServer,
    database_url_for,
    free_port,
    require_postgres,
    service_missing,
    wait_until,
)
from tests.workflow_helpers import ensure_default_deadline_rule, many_due_assessments

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SWEEP_TASK = "prequal.tasks.deadlines_sweep_task"
SILENCE = Assessment.Status.APPROVED_BY_SILENCE


def _sweep_every(seconds: int) -> None:
    ensure_default_deadline_rule()
    interval, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(task=SWEEP_TASK).delete()
    PeriodicTask.objects.create(name="Deadline sweep", task=SWEEP_TASK, interval=interval, enabled=True)


class RestartableRedis(RedisServer):
    """A RedisServer that comes back on the same port (the broker URL the worker knows)."""

    def kill(self) -> None:
        self.child.signal_group(signal.SIGKILL)
        self.child.process.wait(10)

    def restart(self) -> None:
        assert self.launch(), "redis-server did not come back"


def _silence_events(ids) -> dict[int, int]:
    rows = (
        CaseEvent.objects.filter(assessment_id__in=ids, to_state=SILENCE)
        .values("assessment_id").annotate(n=Count("pk"))
    )
    return {row["assessment_id"]: row["n"] for row in rows}


class SupervisedWorker:
    """A Celery worker with embedded beat, started again whenever it has exited, as systemd's
    Restart=always does in production (see the README). Each start logs to its own file."""

    def __init__(self, *, broker_url: str, tmp_path: Path) -> None:
        self.broker_url, self.tmp_path = broker_url, tmp_path
        self.starts: list[CeleryWorker] = []

    def ensure_running(self) -> None:
        if self.starts and self.starts[-1].child.running():
            return
        if self.starts:
            self.starts[-1].stop()  # reap it and whatever it left behind (pool, beat)
        self.starts.append(CeleryWorker(
            broker_url=self.broker_url, database_url=database_url_for(connection.settings_dict), beat=True,
            log_path=self.tmp_path / f"worker-{len(self.starts)}.log",
        ))
        self.starts[-1].start()

    def logs(self) -> str:
        return "\n".join(f"--- {w.log_path.name}\n{w.log()[-2500:]}" for w in self.starts)

    def stop(self) -> None:
        if self.starts:
            self.starts[-1].stop()


def test_redis_restart_while_the_worker_runs_loses_and_doubles_nothing(cast, tmp_path):
    require_postgres()
    redis = RestartableRedis().start()
    worker = SupervisedWorker(broker_url=redis.url, tmp_path=tmp_path)
    try:
        _sweep_every(2)
        first = many_due_assessments(cast=cast, count=20)
        worker.ensure_running()
        silenced = Assessment.objects.filter(status=SILENCE)
        wait_until(lambda: silenced.filter(pk__in=first).count() == len(first), timeout=60,
                   message="the first sweep", details=worker.logs)

        # The broker goes away (SIGKILL: nothing saved), work comes due meanwhile, it comes back.
        redis.kill()
        more = _many_due_assessments_with_prefix(cast=cast, count=20)
        time.sleep(3)
        redis.restart()

        # Celery may exit when the broker vanishes in the middle of an acknowledgement (seen with
        # kombu's Redis transport), at any moment until it has reconnected: the supervisor starts
        # it again whenever that happens. Either way nothing may be lost or applied twice.
        everything = first + more

        def resumed() -> bool:
            worker.ensure_running()
            return silenced.filter(pk__in=everything).count() == len(everything)

        wait_until(resumed, timeout=120, interval=0.5, message="the sweep to resume after the broker restart",
                   details=worker.logs)
        events = _silence_events(everything)
        assert set(events) == set(everything), "an assessment was approved without its audit entry"
        assert set(events.values()) == {1}, "an assessment was approved by silence twice"
    finally:
        worker.stop()
        redis.stop()


def _many_due_assessments_with_prefix(*, cast, count: int) -> list[int]:
    from prequal.models import Spu

    before = set(Spu.objects.values_list("pk", flat=True))
    # many_due_assessments names its SPUs BULK-00001...; rename the first batch's out of the way.
    for spu in Spu.objects.filter(code__startswith="BULK-"):
        Spu.objects.filter(pk=spu.pk).update(code=f"OLD-{spu.pk}")
    ids = many_due_assessments(cast=cast, count=count)
    assert set(Spu.objects.values_list("pk", flat=True)) - before
    return ids


# --- PostgreSQL restarted while requests are in flight -------------------------------------------


class OwnPostgres:
    """A throwaway PostgreSQL cluster on a free 127.0.0.1 port, migrated, for this test only."""

    def __init__(self) -> None:
        pg_bin = os.environ.get("GRIDPREQUAL_PG_BIN") or ""
        if not pg_bin:
            found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
            pg_bin = str(found[-1].parent) if found else ""
        if not pg_bin:
            service_missing("PostgreSQL server binaries not found (GRIDPREQUAL_PG_BIN)")
        self.bin = Path(pg_bin)
        self.dir = Path(tempfile.mkdtemp(prefix="gridprequal-pgfault-"))
        self.port = free_port()
        os.chmod(self.dir, 0o755)
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/gridprequal"

    def _run(self, command: str) -> None:
        as_root = os.getuid() == 0  # initdb refuses to run as root
        args = ["su", "postgres", "-s", "/bin/sh", "-c", command] if as_root else ["sh", "-c", command]
        result = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr

    def init(self) -> OwnPostgres:
        self._run(f"{self.bin}/initdb -D {self.dir}/data -U postgres -A trust --no-sync -E UTF8")
        self.start()
        self._run(f"{self.bin}/createdb -h 127.0.0.1 -p {self.port} -U postgres gridprequal")
        return self

    def start(self) -> None:
        self._run(
            f"{self.bin}/pg_ctl -D {self.dir}/data -l {self.dir}/log -w -o "
            f"'-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off' start"
        )

    def stop(self) -> None:
        self._run(f"{self.bin}/pg_ctl -D {self.dir}/data -m fast -w stop")

    def destroy(self) -> None:
        try:
            self._run(f"{self.bin}/pg_ctl -D {self.dir}/data -m immediate stop")
        except AssertionError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class Traffic(threading.Thread):
    """Requests in flight all along: /healthz and an API call that reads the database."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.answers: list[tuple[float, str, int, str, str]] = []
        self.failures: list[str] = []
        self.halt = threading.Event()

    def run(self) -> None:
        import requests

        session = requests.Session()
        while not self.halt.is_set():
            for path, headers in (("/healthz", {}), ("/api/cases/", {"Authorization": "Token not-a-token"})):
                try:
                    r = session.get(self.base + path, headers={**PROXY, **headers}, timeout=20)
                except requests.RequestException as exc:
                    self.failures.append(f"{path}: {exc.__class__.__name__}")
                    continue
                self.answers.append(
                    (time.monotonic(), path, r.status_code, r.headers.get("Content-Type", ""), r.text)
                )
            time.sleep(0.05)


def test_postgres_restart_while_requests_are_in_flight(tmp_path, redis_server):
    postgres = OwnPostgres().init()
    web = traffic = None
    try:
        env = production_env(database_url=postgres.url, broker_url=redis_server.url,
                             static_root=tmp_path / "static")
        migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                                 cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300)
        assert migrate.returncode == 0, migrate.stderr
        web = Gunicorn(env=env, log_path=tmp_path / "gunicorn.log")
        web.start()
        traffic = Traffic(web.url)
        traffic.start()
        wait_until(lambda: any(a[1] == "/api/cases/" and a[2] == 401 for a in traffic.answers), timeout=30,
                   message="the app to answer before the fault")

        postgres.stop()
        down_at = time.monotonic()
        wait_until(lambda: any(a[0] > down_at and a[1] == "/healthz" and a[2] == 503
                               for a in traffic.answers),
                   timeout=30, message="/healthz to report the database down")
        wait_until(lambda: any(a[0] > down_at and a[1] == "/api/cases/" and a[2] >= 500
                               for a in traffic.answers), timeout=30, message="the API to fail meanwhile")
        postgres.start()
        up_at = time.monotonic()
        wait_until(lambda: any(a[0] > up_at and a[1] == "/healthz" and a[2] == 200 for a in traffic.answers)
                   and any(a[0] > up_at and a[1] == "/api/cases/" and a[2] == 401 for a in traffic.answers),
                   timeout=60, message="the app to recover after the database is back")
        traffic.halt.set()
        traffic.join(30)

        assert traffic.failures == [], f"connections refused or dropped: {traffic.failures[:5]}"
        during = [a for a in traffic.answers if down_at < a[0] < up_at]
        assert during, "no request was answered while the database was down"
        for _at, path, code, content_type, body in traffic.answers:
            assert code in {200, 401, 500, 503}, (path, code, body[:300])
            assert "Traceback" not in body and 'File "' not in body, (path, body[:500])
            if path == "/api/cases/" and code >= 500:
                assert content_type == "application/json", (content_type, body[:300])
        assert web.running(), "gunicorn died"
    finally:
        if traffic:
            traffic.halt.set()
        if web:
            web.stop()
        postgres.destroy()

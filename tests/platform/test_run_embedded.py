"""`make run`'s processes (SPEC §8): the web server and a worker with embedded beat, no broker server.

Runs scripts/run-embedded on its own SQLite database, broker folder and port, publishes a
sweep through the filesystem broker, and stops it as Ctrl-C would.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request

import pytest

from tests.services import BASE_DIR, Child, child_env, free_port, wait_until

pytestmark = pytest.mark.slow


def _signal_bits(pid: int, field: str) -> int:
    """A signal set of /proc/PID/status (SigIgn: ignored, SigBlk: blocked) as a bit mask."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1], 16)
    raise AssertionError(f"{field} missing from /proc/{pid}/status")


def _in_set(bits: int, sig: int) -> bool:
    return bool(bits & (1 << (sig - 1)))


def test_run_embedded_serves_sweeps_through_the_filesystem_broker_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = child_env(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="true",
        DATABASE_URL=f"sqlite:///{tmp_path}/embedded.sqlite3",
        CELERY_BROKER_URL="filesystem://",
        CELERY_FILESYSTEM_BROKER_DIR=str(tmp_path / "broker"),
        CELERY_TASK_ALWAYS_EAGER="false",
        GRIDPREQUAL_ADDR=f"127.0.0.1:{port}",
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=BASE_DIR, env=env,
                   check=True, capture_output=True)
    run = Child([str(BASE_DIR / "scripts" / "run-embedded")], env=env, log_path=tmp_path / "run.log")
    try:
        run.start()
        wait_until(lambda: "is running at" in run.log() and "ready." in run.log(), timeout=90,
                   message="the web server and the worker", details=lambda: run.log()[-3000:])
        # Ctrl-C reaches the script's trap only if SIGINT is neither ignored nor blocked in it
        # (bash cannot trap a signal ignored when it started).
        for field in ("SigIgn", "SigBlk"):
            assert not _in_set(_signal_bits(run.pid, field), signal.SIGINT), f"SIGINT in the script's {field}"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            health = json.load(response)
        assert health["checks"]["broker"] == {"status": "ok", "transport": "filesystem"}
        assert health["checks"]["database"]["status"] == "ok"
        # runserver and the worker each lead their own session under the script.
        children = [int(p) for p in subprocess.run(
            ["pgrep", "-P", str(run.pid)], capture_output=True, text=True).stdout.split()]
        sessions = [pid for pid in children if os.getsid(pid) == pid]
        assert len(sessions) == 2, children

        # A sweep published by another process reaches the embedded worker through the folders.
        subprocess.run(
            [sys.executable, "-c",
             "import django; django.setup(); from config.celery import app; "
             "app.send_task('prequal.tasks.deadlines_sweep_task')"],
            cwd=BASE_DIR, env=env, check=True, capture_output=True,
        )
        swept = re.compile(r"prequal\.tasks\.deadlines_sweep_task\[[0-9a-f-]+\] succeeded")
        wait_until(lambda: swept.search(run.log()), timeout=30,
                   message="the embedded worker to run the sweep", details=lambda: run.log()[-3000:])

        run.signal_group(signal.SIGINT)  # what Ctrl-C sends to the foreground group
        assert run.process.wait(30) == 130, run.log()[-3000:]
        wait_until(lambda: not run.processes(), timeout=15, message="every child process to stop",
                   details=lambda: f"left: {run.processes()}")
    finally:
        run.stop()

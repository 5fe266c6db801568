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

from tests.services import BASE_DIR, free_port, wait_until

pytestmark = pytest.mark.slow


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(")")[-1].split()[0] != "Z":
                    alive.append(pid)
        except FileNotFoundError:
            continue
    return alive


def _session_members(sid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getsid(int(entry)) == sid:
                    members.append(int(entry))
            except (ProcessLookupError, PermissionError):
                continue
    return members


def test_run_embedded_serves_sweeps_through_the_filesystem_broker_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path}/embedded.sqlite3",
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_FILESYSTEM_BROKER_DIR": str(tmp_path / "broker"),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "GRIDPREQUAL_ADDR": f"127.0.0.1:{port}",
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=BASE_DIR, env=env,
                   check=True, capture_output=True)
    log_path = tmp_path / "run.log"
    with open(log_path, "wb") as log:
        run = subprocess.Popen([str(BASE_DIR / "scripts" / "run-embedded")], cwd=BASE_DIR, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log_text = lambda: log_path.read_text(errors="replace")  # noqa: E731
    children: list[int] = []
    try:
        wait_until(lambda: "is running at" in log_text() and "ready." in log_text(), timeout=90,
                   message="the web server and the worker")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            health = json.load(response)
        assert health["checks"]["broker"] == {"status": "ok", "transport": "filesystem"}
        assert health["checks"]["database"]["status"] == "ok"
        # runserver and the worker each lead their own session under the script.
        children = [int(p) for p in subprocess.run(
            ["pgrep", "-P", str(run.pid)], capture_output=True, text=True).stdout.split()]
        sessions = [pid for pid in children if os.getsid(pid) == pid]
        assert len(sessions) == 2, children
        members = [pid for sid in sessions for pid in _session_members(sid)]

        # A sweep published by another process reaches the embedded worker through the folders.
        subprocess.run(
            [sys.executable, "-c",
             "import django; django.setup(); from config.celery import app; "
             "app.send_task('prequal.tasks.deadlines_sweep_task')"],
            cwd=BASE_DIR, env=env, check=True, capture_output=True,
        )
        swept = re.compile(r"prequal\.tasks\.deadlines_sweep_task\[[0-9a-f-]+\] succeeded")
        wait_until(lambda: swept.search(log_text()),
                   timeout=30, message="the embedded worker to run the sweep")

        os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground group
        assert run.wait(30) == 130
        wait_until(lambda: not _alive(members), timeout=15, message="every child process to stop")
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        for pid in _alive(children):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

"""The activation check's load: gunicorn, wrk, the server's CPU from /proc, and the bare-SQL floor.

Read by bench/activation_bench.py.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from benchkit import ROOT
from shapes.activation import TOKEN


def _floor_worker(url: str, statements: list[list[tuple[str, list]]], seconds: float, queue) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True, prepare_threshold=0) as conn:
        done, latencies, i = 0, [], 0
        cursor = conn.cursor()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            for sql, params in statements[i % len(statements)]:
                cursor.execute(sql, params, prepare=True)
                cursor.fetchall()
            latencies.append(time.perf_counter() - started)
            done += 1
            i += 1
    queue.put((done, latencies))


def floor(url: str, statements: list[list[tuple[str, list]]], *, processes: int, seconds: float) -> dict:
    """Bare SQL: each sample check's statements, prepared as the app prepares them, by
    `processes` psycopg clients (no HTTP, no Django, no rules)."""
    queue = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=_floor_worker, args=(url, statements, seconds, queue))
        for _ in range(processes)
    ]
    for w in workers:
        w.start()
    results = [queue.get() for _ in workers]
    for w in workers:
        w.join()
    latencies = sorted(x for _done, lat in results for x in lat)
    done = sum(d for d, _lat in results)
    return {
        "per_second": done / seconds,
        "p50_ms": 1000 * _pct(latencies, 50),
        "p99_ms": 1000 * _pct(latencies, 99),
    }


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(
    *,
    database_url: str,
    workers: int,
    port: int,
    log: Path,
    worker_class: str = "sync",
    app: str = "config.wsgi_lean:application",
) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="config.settings")
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    process = subprocess.Popen(
        [
            gunicorn,
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--threads",
            "1",
            # gthread: one connection kept alive per worker (gunicorn keeps at most worker_connections
            # − threads alive: with 1 it closes every connection after its answer); more, and the
            # first worker to wake accepts several of wrk's connections and serves them in turn.
            # sync: a connection per request, whatever these say.
            "--worker-connections",
            "2",
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}") from None
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start within 60 s")


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


WRK_LUA = """
local bodies = {}
for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
local i = math.random(#bodies)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Token %(token)s"
request = function()
  i = i %% #bodies + 1
  return wrk.format(nil, "/api/activation-check/", nil, bodies[i])
end
done = function(summary, latency, requests)
  io.write(string.format("BENCH %%d %%d %%d %%d %%d %%.6f %%.6f %%.6f %%.6f\\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout, summary.duration, 0,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def prewarm(*, port: int, bodies: list[dict], connections: int, per_connection: int = 10) -> None:
    """Send a few requests on each of `connections` keep-alive connections and wait for them:
    every worker imports the URLconf and opens its database connection before anything is measured."""
    import http.client
    from concurrent.futures import ThreadPoolExecutor

    def one(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for i in range(per_connection):
            body = json.dumps(bodies[(k * per_connection + i) % len(bodies)])
            conn.request(
                "POST",
                "/api/activation-check/",
                body,
                {"Content-Type": "application/json", "Authorization": f"Token {TOKEN}"},
            )
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"warm-up answer {response.status}")
        conn.close()

    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(one, range(connections)))


def run_wrk(
    *, port: int, bodies_path: Path, seconds: int, connections: int, threads: int, workdir: Path
) -> dict:
    script = workdir / "check.lua"
    script.write_text(WRK_LUA % {"bodies": bodies_path, "token": TOKEN})
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--latency",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(
        r"^BENCH (\d+) (\d+) (\d+) (\d+) \d+ ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)$", output, re.M
    )
    if not match:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    requests, bad_status, socket_errors, duration_us = (int(match.group(k)) for k in range(1, 5))
    p50, p90, p99, worst = (float(match.group(k)) / 1000 for k in range(5, 9))  # µs → ms
    return {
        "command": " ".join(command[:-3] + ["check.lua", command[-1]]),
        "requests": requests,
        "bad_status": bad_status,
        "socket_errors": socket_errors,
        "seconds": duration_us / 1e6,
        "per_second": requests / (duration_us / 1e6),
        "p50_ms": p50,
        "p90_ms": p90,
        "p99_ms": p99,
        "max_ms": worst,
        "raw": output,
    }


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """utime + stime (seconds) of each of these processes that is alive."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU spent between two readings by the processes alive at the second one (a process that
    started in between counts whole; one that ended in between is lost, not subtracted)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def server_pids(gunicorn_pid: int) -> tuple[list[int], list[int]]:
    """(gunicorn's master and workers, the PostgreSQL server's processes under with-postgres)."""
    web = [gunicorn_pid, *_children(gunicorn_pid)]
    db = []
    pg_dir = os.environ.get("GRIDPREQUAL_PG_DIR")
    if pg_dir:
        try:
            postmaster = int(Path(pg_dir, "data", "postmaster.pid").read_text().split()[0])
            db = [postmaster, *_children(postmaster)]
        except (OSError, ValueError, IndexError):
            pass
    return web, db

"""CPU per activation check, in process: where the server's time goes (SPEC §7, the check with
area headroom).

Answers the headroom bench's request bodies (bench/activation_headroom_bench.py, on a database
it kept with `--keep PATH`) through the market platforms' WSGI entry (config.wsgi_lean) called
directly, without gunicorn or HTTP, and reports per check: the Python CPU of this process
(`time.process_time`) and the CPU of its PostgreSQL backend (from /proc, the server runs on the
same machine), the statements per check, and with `--profile` the functions that cost most
(cProfile). The host's load moves these figures much less than wall time.

    DATABASE_URL=… .venv/bin/python bench/activation_cpu.py --keep /tmp/hr-q10m.pkl --checks 3000
    DATABASE_URL=… .venv/bin/python bench/activation_cpu.py --keep /tmp/hr-q10m.pkl --profile 40

With `--forecast` it answers the forecast bench's bodies instead (bench/activation_forecast_bench.py,
on a database it kept): every check about T0's day, this process's clock at T0 − 30 minutes,
ticking, as the bench's gunicorn workers run (bench/gunicorn_clock.py), so that the forecast cache
holds the units the checks ask about.

    DATABASE_URL=… .venv/bin/python bench/activation_cpu.py --keep /tmp/afc.pkl --forecast --checks 2000
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pickle
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import activation_bench  # noqa: E402
import benchkit  # noqa: E402
from activation_headroom_bench import Headroom  # noqa: E402
from shapes.activation import TOKEN  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu_s(pid: int) -> float:
    """utime + stime of one process, in seconds (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def environ_for(body: dict) -> tuple[dict, bytes]:
    payload = json.dumps(body).encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/activation-check/",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Token {TOKEN}",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(payload)),
        "wsgi.url_scheme": "http",
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
    }, payload


def answer(application, body: dict) -> bytes:
    environ, payload = environ_for(body)
    environ["wsgi.input"] = io.BytesIO(payload)
    status = []
    chunks = application(environ, lambda s, h, exc_info=None: status.append(s))
    content = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    if not status or not status[0].startswith("200"):
        raise RuntimeError(f"{status}: {content[:300]!r} for {body}")
    return content


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, required=True, help="the headroom bench's pickle (--keep)")
    parser.add_argument("--checks", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds (median reported)")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions")
    parser.add_argument("--answers", type=Path, help="write every answer (JSON lines) to compare runs")
    parser.add_argument("--forecast", action="store_true",
                        help="the forecast bench's bodies and clock (its --keep pickle)")
    args = parser.parse_args(argv)

    url = benchkit.database_url(activation_bench.BENCH_DB)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_lean"
    benchkit.django_setup(url=url, settings="config.settings")
    from django.db import connection

    from common.db import fetch_all_recorded

    data = pickle.loads(args.keep.read_bytes())
    made = activation_bench.make_requests(data, n=max(args.checks, 3000))
    if args.forecast:
        from activation_forecast_bench import Forecasts

        bodies = Forecasts.requests(made, data)  # and the clock at T0 - 30 min from here on
    else:
        bodies = Headroom.requests(made, data)
    bodies = bodies[: args.checks]
    from config.wsgi_lean import application  # what gunicorn serves (its handler, the gc freeze)

    # One backend for the whole run (its CPU is read from /proc): no reconnect after CONN_MAX_AGE.
    connection.settings_dict["CONN_MAX_AGE"] = None
    for body in bodies[:500]:  # warm: token, caches, prepared statements, area polygons
        answer(application, body)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [(backend,)] = cursor.fetchall()
    if args.answers:
        args.answers.write_text("".join(answer(application, b).decode() + "\n" for b in bodies))
    with fetch_all_recorded() as recorded:
        for body in bodies[:300]:
            answer(application, body)
    statements = len(recorded) / 300
    rounds = []
    for _k in range(args.rounds):
        db0, py0, wall0 = backend_cpu_s(backend), time.process_time(), time.perf_counter()
        for body in bodies:
            answer(application, body)
        py, db = time.process_time() - py0, backend_cpu_s(backend) - db0
        rounds.append((1000 * py / len(bodies), 1000 * db / len(bodies), 1000 * (time.perf_counter() - wall0)
                       / len(bodies)))
    rounds.sort()
    py_ms, db_ms, wall_ms = rounds[len(rounds) // 2]
    print(f"load {benchkit.load_average()}; {len(bodies)} checks x {args.rounds} rounds; "
          f"{statements:.2f} statements per check")
    print(f"per check: python {py_ms:.3f} ms + postgres {db_ms:.3f} ms = {py_ms + db_ms:.3f} ms "
          f"(wall {wall_ms:.3f} ms); rounds python {[round(r[0], 3) for r in rounds]}")
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for body in bodies:
            answer(application, body)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.profile)
        out.write("\n--- by own time ---\n")
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.profile)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

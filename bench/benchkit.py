"""What every benchmark shares: its throwaway database, Django, the machine, timing, the results.

- database: `database_recreate` (a fresh PostgreSQL database on the server DATABASE_URL names, or
  a fresh SQLite file), `database_url`, `database_drop`, `django_setup`;
- the machine the figures were measured on: `machine_line`, `load_average`;
- timing: `timed`, `median_of` (runs → the median run with every run's figures); a page's
  server time and its SQL run bare (`page_measure`, `sql_floor_ms`, `explain`);
- the result contract the summary reads (`bench/run_all.py`): `budget_row`, `results_write`,
  `results_read`;
- docs/PERFORMANCE.md: each benchmark owns one section between its markers, `section_write`;
- the command line every bench shares: `parser` (`--preset`, `--runs`, `--json`, `--write`),
  `shown_command`, `finish` (print, --json, --write).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shlex
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT / "bench", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

HEADER = "# Performance\n\nMeasured by the scripts in `bench/` (SPEC §7).\n"
SQLITE_DIR = ROOT / "var" / "bench"


# --- the database ---------------------------------------------------------------------------------


def is_postgres(url: str | None = None) -> bool:
    url = os.environ.get("DATABASE_URL", "") if url is None else url
    return url.startswith(("postgres://", "postgresql://"))


def database_url(name: str, *, sqlite_dir: Path = SQLITE_DIR) -> str:
    """Database `name` on the PostgreSQL server DATABASE_URL names, else the SQLite file `name`."""
    url = os.environ.get("DATABASE_URL", "")
    if is_postgres(url):
        return urlunparse(urlparse(url)._replace(path=f"/{name}"))
    return f"sqlite:///{Path(sqlite_dir) / f'{name}.sqlite3'}"


def database_recreate(name: str, *, sqlite_dir: Path = SQLITE_DIR, force: bool = True) -> str:
    """Drop and recreate database `name` (see `database_url`); return its URL, also put in DATABASE_URL.

    `force` ends the connections still open to it (PostgreSQL's DROP DATABASE ... WITH (FORCE)).
    """
    target = database_url(name, sqlite_dir=sqlite_dir)
    if is_postgres(target):
        import psycopg

        with psycopg.connect(_server_url(target), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"' + (" WITH (FORCE)" if force else ""))
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        path = Path(target.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = target
    return target


def database_drop(url: str) -> None:
    """Drop a PostgreSQL database made by `database_recreate` (a SQLite file goes with its folder)."""
    if not is_postgres(url):
        return
    import psycopg

    name = urlparse(url).path.lstrip("/")
    with psycopg.connect(_server_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _server_url(url: str) -> str:
    """The server's maintenance database: the one named may not exist (yet)."""
    return urlunparse(urlparse(url)._replace(path="/postgres"))


# The environment of a bench's Django: not DEBUG (Django would keep every query's SQL), quiet logs.
DJANGO_ENV = {"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "bench-not-secret"}
# What a bench that runs the production settings adds (no HTTPS redirect, mail queued in memory).
PRODUCTION_ENV = {
    "DJANGO_SECURE": "false",
    "DJANGO_LOG_LEVEL": "WARNING",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
}


def django_setup(
    *, url: str | None = None, settings: str = "config.settings_test", migrate: bool = False, **env: str
) -> None:
    """django.setup() on `url` (default: DATABASE_URL); `env` is set first, then migrate if asked."""
    if url is not None:
        os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings)
    for key, value in (DJANGO_ENV | (PRODUCTION_ENV if settings == "config.settings" else {})).items():
        os.environ.setdefault(key, value)
    os.environ.update({"DJANGO_DEBUG": "false", **env})
    import django

    django.setup()
    from django.conf import settings as django_settings

    statement_timeout_drop(django_settings.DATABASES)
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


def statement_timeout_drop(databases: dict) -> None:
    """Lift config.settings_test's statement timeout (180 s: a runaway test query fails fast) for a
    bench: filling the register with 10,000,000 records runs statements far longer than that.
    Before the first connection, which reads these options."""
    for database in databases.values():
        options = database.get("OPTIONS", {})
        if "statement_timeout" in options.get("options", ""):
            options["options"] = re.sub(r"-c statement_timeout=\S+\s*", "", options["options"]).strip()
            if not options["options"]:
                del options["options"]


def analyze(*, vacuum: bool = False) -> None:
    """ANALYZE (and VACUUM) what was generated, so autovacuum does not do it during a measurement."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
        else:
            if vacuum:
                cursor.execute("VACUUM")
            cursor.execute("ANALYZE")


# --- the machine --------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _ram_gib() -> float | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        return None


def load_average() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def postgres_version(url: str | None = None) -> str | None:
    """The server's version string when DATABASE_URL (or `url`) names PostgreSQL, else None."""
    url = os.environ.get("DATABASE_URL", "") if url is None else url
    if not is_postgres(url):
        return None
    try:
        import psycopg

        with psycopg.connect(_server_url(url), connect_timeout=5) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        return f"PostgreSQL {version}"
    except Exception as exc:  # the machine line must not break a bench
        return f"PostgreSQL (version unknown: {type(exc).__name__})"


def machine_line(*, extra: str = "") -> str:
    """CPUs, model, RAM, load average now, Python, PostgreSQL (if DATABASE_URL names it), kernel."""
    ram = _ram_gib()
    parts = [
        f"{os.cpu_count()} CPUs ({_cpu_model()}), {'?' if ram is None else f'{ram:.1f}'} GiB RAM, "
        f"load average at the end {load_average()}; Python {platform.python_version()}"
    ]
    pg = postgres_version()
    if pg:
        parts.append(pg)
    if extra:
        parts.append(extra)
    parts.append(f"{platform.system()} {platform.release()}")
    return ", ".join(parts)


def busy_note() -> str:
    """How to read wall times given the load average now."""
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        return (
            "the machine was shared with other jobs (see the load average), so on an idle one they are lower."
        )
    return "the machine was otherwise idle."


# --- timing ---------------------------------------------------------------------------------------


def timed(fn):
    """(fn(), wall seconds, CPU seconds of this thread)."""
    t, c = time.perf_counter(), time.thread_time()
    result = fn()
    return result, time.perf_counter() - t, time.thread_time() - c


def median_of(results: list[dict], key: str, *, also: tuple[str, ...] = ()) -> dict:
    """The run with the median `key`, its `key` (and `also`) the runs' median, every run's in `<k>_runs`."""
    ordered = sorted(results, key=lambda r: r[key])
    median = dict(ordered[(len(ordered) - 1) // 2])
    for k in (key, *also):
        median[f"{k}_runs"] = [r[k] for r in ordered]
        median[k] = statistics.median(r[k] for r in ordered)
    return median


# --- pages: in-process requests and their bare SQL ----------------------------------------------

PAGE_WARMUP = 3


def _bare(sql: str) -> str:
    """The query a captured statement runs: a server-side cursor's DECLARE ... FOR <query> gives the
    query; savepoints and cursor housekeeping give nothing."""
    if match := re.match(r"DECLARE .*? CURSOR .*?FOR (.*)$", sql, re.S):
        return match.group(1)
    return "" if re.match(r"(SAVEPOINT|RELEASE|ROLLBACK|CLOSE|FETCH|BEGIN|COMMIT)\b", sql, re.I) else sql


def sql_floor_ms(statements: list[str], *, repeat: int) -> float:
    """Median wall time of the page's SQL statements run bare, one after the other."""
    from django.db import connection

    connection.ensure_connection()
    statements = [bare for sql in statements if (bare := _bare(sql))]
    times = []
    # The driver's own cursor, no Django wrapper (closing(): sqlite3's is no context manager).
    with contextlib.closing(connection.connection.cursor()) as cursor:
        for _ in range(repeat):
            t = time.perf_counter()
            for sql in statements:
                cursor.execute(sql)
                if cursor.description is not None:
                    cursor.fetchall()
            times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def explain(statement: str) -> str:
    """The statement's EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, else nothing."""
    from django.db import connection

    if connection.vendor != "postgresql" or not statement:
        return ""
    with connection.connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
        return "\n".join(r[0] for r in cursor.fetchall())


def page_measure(page: dict, *, runs: int, requests: int) -> dict:
    """One page through Django's test Client (force_login) after PAGE_WARMUP requests: its SQL
    (captured once), `runs` × `requests` timed requests, its floor and slowest plan."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(page["user"])
    for _ in range(PAGE_WARMUP):
        response = client.get(page["url"])
        if response.status_code != 200:
            raise SystemExit(f"{page['url']} as {page['user']}: HTTP {response.status_code}")
    with CaptureQueriesContext(connection) as captured:
        client.get(page["url"])
    statements = [q["sql"] for q in captured.captured_queries]
    if os.environ.get("QUEUE_BENCH_SHOW_SQL"):
        print(page["key"], *statements, sep="\n  ", file=sys.stderr)
    url = page["url"]
    timings = [[timed(lambda: client.get(url))[1:] for _ in range(requests)] for _ in range(runs)]
    runs_ms = [[wall * 1000 for wall, _cpu in times] for times in timings]
    slowest = max(statements, key=lambda s: sql_floor_ms([s], repeat=1)) if statements else ""
    return {
        **{k: page[k] for k in ("key", "label", "url", "queue")},
        "runs": [statistics.median(times) for times in runs_ms], "all_ms": [ms for t in runs_ms for ms in t],
        # The app's own CPU per request (this thread: Django, the driver), median of all requests.
        "cpu_ms": statistics.median(cpu * 1000 for times in timings for _wall, cpu in times),
        "statements": statements,
        "queries": len(statements),
        "floor_ms": sql_floor_ms(statements, repeat=max(5, requests // 2)),
        "slowest_sql": slowest, "explain": explain(slowest),
    }


# --- the result contract ------------------------------------------------------------------------


def budget_row(
    *,
    what: str,
    budget: str,
    unit: str,
    runs: list[float],
    within: bool,
    floor: float | None = None,
    floor_label: str = "",
    ratio: float | None = None,
) -> dict:
    """One budget of SPEC §7 as measured: every run, their median/min/max, and the floor it is compared
    with (`ratio` = measured median / floor, unless the bench computes it on another basis, e.g. CPU)."""
    values = [float(v) for v in runs]
    if not values:
        raise ValueError("budget_row needs at least one run")
    median = statistics.median(values)
    if ratio is None and floor:
        ratio = median / floor
    return {
        "what": what, "budget": budget, "unit": unit, "runs": values,
        "median": median, "min": min(values), "max": max(values), "within": bool(within),
        "floor": None if floor is None else float(floor), "floor_label": floor_label,
        "ratio": None if ratio is None else float(ratio),
    }


def results_write(path: Path, *, bench: str, command: str, machine: str, rows: list[dict]) -> None:
    """Write one bench's rows (from `budget_row`) as JSON for the summary."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"bench": bench, "command": command, "machine": machine, "rows": rows}
    path.write_text(json.dumps(payload, indent=2) + "\n")


def results_read(path: Path) -> dict:
    """Read what `results_write` wrote, checking the contract's shape."""
    data = json.loads(Path(path).read_text())
    missing = {"bench", "command", "machine", "rows"} - set(data)
    if missing:
        raise ValueError(f"{path}: missing keys {sorted(missing)}")
    return data


# --- docs/PERFORMANCE.md ----------------------------------------------------------------------------


def markers(key: str) -> tuple[str, str]:
    """The start and end markers of a bench's section."""
    return f"<!-- {key}:start -->", f"<!-- {key}:end -->"


def section_write(path: Path, section: str, *, start: str, end: str) -> None:
    """Replace the section between `start` and `end` (appending it if absent); leave the rest."""
    path = Path(path)
    text = path.read_text() if path.exists() else HEADER
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


# --- the command line -------------------------------------------------------------------------------


def parser(
    doc: str, *, presets, default_preset: str | None = "full", runs: int = 1
) -> argparse.ArgumentParser:
    """A bench's parser with the options every bench has: --preset, --runs, --json, --write."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    if presets:
        p.add_argument("--preset", choices=sorted(presets), default=default_preset)
    p.add_argument("--runs", type=int, default=runs, help="measured runs (median, min, max)")
    p.add_argument("--json", type=Path, help="write the budget rows here (bench/benchkit.py contract)")
    p.add_argument("--write", type=Path, help="replace this benchmark's section in a Markdown file")
    return p


def shown_command(script: str, argv: list[str] | None, *, postgres: bool | None = None) -> str:
    """The command line as a person would type it again (under scripts/with-postgres if it ran there)."""
    args = sys.argv[1:] if argv is None else argv
    command = f".venv/bin/python bench/{script}" + (" " + shlex.join(args) if args else "")
    return ("scripts/with-postgres " if (is_postgres() if postgres is None else postgres) else "") + command


def finish(
    args, *, bench: str, command: str, section: str, key: str, rows, machine: str | None = None,
    echo: bool = True,
) -> None:
    """Print the section; write the rows (--json) and the section (--write) if asked."""
    if echo:
        print(section)
    if args.json:
        results_write(args.json, bench=bench, command=command, machine=machine or machine_line(),
                      rows=rows() if callable(rows) else rows)
    if args.write:
        start, end = markers(key)
        section_write(args.write, section, start=start, end=end)

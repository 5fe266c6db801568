"""The activation check's figures: its budget rows and its PERFORMANCE.md section (activation_bench)."""

from __future__ import annotations

import os
import statistics

import benchkit

MARK_START, MARK_END = benchkit.markers("activation-bench")


def _per_answer_ms(http: dict, key: str) -> float:
    return 1000 * http[key] / max(http["requests"], 1)


def _spread(values: list[float], fmt: str) -> str:
    """median (min–max) of the runs."""
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{format(statistics.median(values), fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def rows(result: dict) -> list[dict]:
    """The budget rows for the summary (bench/benchkit.py contract)."""
    runs, floors = result["runs"], result["floors"]
    rate = [r["per_second"] for r in runs]
    p99 = [r["p99_ms"] for r in runs]
    floor_rate = statistics.median(f["per_second"] for f in floors)
    floor_p99 = statistics.median(f["p99_ms"] for f in floors)
    label = f"the same prepared statements, bare psycopg, {result['workers']} processes"
    return [
        benchkit.budget_row(
            what=f"activation check: answers/s across {result['workers']} gunicorn workers (PostgreSQL, wrk)",
            budget="≥ 1,000 answers/s",
            unit="answers/s",
            runs=rate,
            within=statistics.median(rate) >= 1000,
            floor=floor_rate,
            floor_label=label + " (sets of statements/s)",
        ),
        benchkit.budget_row(
            what="activation check: p99 latency under that load",
            budget="≤ 20 ms",
            unit="ms",
            runs=p99,
            within=statistics.median(p99) <= 20,
            floor=floor_p99,
            floor_label=label + " (p99 of a set)",
        ),
    ]


def _figures(result: dict) -> dict:
    """Each run's figures, the verdicts, and what the server CPU per answer projects."""
    runs = result["runs"]
    f = {
        "rate": [r["per_second"] for r in runs],
        "p99": [r["p99_ms"] for r in runs],
        "p50": [r["p50_ms"] for r in runs],
        "cpu": [_per_answer_ms(r, "server_cpu_s") for r in runs],
        "web": [_per_answer_ms(r, "web_cpu_s") for r in runs],
        "db": [_per_answer_ms(r, "db_cpu_s") for r in runs],
        "floor_rate": [x["per_second"] for x in result["floors"]],
        "floor_p99": [x["p99_ms"] for x in result["floors"]],
    }
    f["within_rate"] = "within" if statistics.median(f["rate"]) >= 1000 else "UNDER"
    f["within_p99"] = "within" if statistics.median(f["p99"]) <= 20 else "OVER"
    f["projected"] = projected = (os.cpu_count() or 1) * 1000 / statistics.median(f["cpu"])
    met = f["within_rate"] == "within" and f["within_p99"] == "within"
    f["verdict"] = (
        "The budget is met."
        if met
        else f"The budget (≥ 1,000 answers/s, p99 ≤ 20 ms) is **not met** on this run; on 2 dedicated CPUs "
        f"the server CPU per answer would allow about {projected:,.0f} answers/s"
        + (" (within the budget)." if projected >= 1000 else ", still short of 1,000.")
    )
    return f


def _table(result: dict, f: dict) -> str:
    workers = result["workers"]
    return f"""| what | measured | budget |
| --- | --- | --- |
| answers/s across {workers} workers | **{_spread(f["rate"], ",.0f")}** | ≥ 1,000 ({f["within_rate"]}) |
| latency p99 | **{_spread(f["p99"], ".2f")} ms** (p50 {_spread(f["p50"], ".2f")} ms) | ≤ 20 ms ({f["within_p99"]}) |
| server CPU per answer (from /proc) | {_spread(f["cpu"], ".2f")} ms: gunicorn {_spread(f["web"], ".2f")} ms + PostgreSQL {_spread(f["db"], ".2f")} ms → {f["projected"]:,.0f} answers/s if the server had the {os.cpu_count()} CPUs to itself | — |
| SQL per answer | {result["queries"]} prepared statements (resource + its cases, limits; conditions when conditional, members for an SPG; what the register holds for the resource, and under each point or area limit that applies; the holders' names only when named); no per-request health check (a dropped connection is replaced when a statement fails on it) | — |
| floor: the same prepared statements, bare psycopg, {workers} processes | {_spread(f["floor_rate"], ",.0f")} sets/s, p99 {_spread(f["floor_p99"], ".2f")} ms | — |
| **ratio to the floor** | **{statistics.median(f["rate"]) / statistics.median(f["floor_rate"]):.2f}×** the floor's throughput | — |"""  # noqa: E501 - Markdown table rows


def report(result: dict, *, command: str) -> str:
    runs, data, f = result["runs"], result["data"], _figures(result)
    counts = ", ".join(f"{v:,} {k}" for k, v in data["counts"].items())
    colours = ", ".join(f"{k} {v}" for k, v in sorted(result["colours"].items()))
    first = runs[0]
    total = sum(r["requests"] for r in runs)
    bad = sum(r["bad_status"] + r["socket_errors"] for r in runs)
    return f"""{MARK_START}
## Activation check (SPEC §7 row 3)

Command: `{command}`

Machine: {result["machine"]}; load average before the run {result["load_before"]}. gunicorn,
PostgreSQL and wrk share the machine's CPUs.

Data (`bench/refdata.py`, shape `activation`, generated in {data["seconds"]:.0f} s): {counts} (SPEC §7's reference
scale is 1,000,000 SPUs and 200,000 cases a year). Conditions are caps
or caps in a local-time window; limits: 50 % on SPUs, 25 % on connection points, 15 % on SPGs,
10 % on area boxes, over one week, 0–1 MW, a quarter-hour to a day long.

Load: `{first["command"]}` against gunicorn
(`{result.get("wsgi", "config.wsgi_lean:application")} --workers {result["workers"]} --worker-class
{result["worker_class"]}{" --threads 1 --worker-connections 2`, keep-alive" if result["worker_class"] == "gthread" else "`, a connection per request"}) on 127.0.0.1, {len(runs)} measured runs of {first["seconds"]:.0f} s after a 5 s warm-up; each request is
`POST /api/activation-check/` by a market platform client (token), for one of {result["distinct"]:,}
random request bodies (80 % SPUs, 20 % SPGs of {result["members"]} members; 15 min–2 h periods in
the limits' week). Sample of the answers: {colours}. {total:,} answers, {bad} errors.

Figures are the median of the runs, with the lowest and highest in brackets.

{_table(result, f)}

The floor replays the statements of {result["floor_samples"]} real checks with their parameters,
prepared as the app prepares them, so it is what the database alone costs for this traffic (and
the client's share of psycopg); the rest is HTTP, Django and the rules in Python.

**Reading these figures.** {f["verdict"]} The answers/s depend on what else runs on the machine (the
load averages above); the server CPU per answer depends on it much less, and projects what the
2 CPUs could answer on their own (wrk takes its share too).

How the check is kept fast (config/settings_lean.py, limits/apis/activation.py, common/db.py):
market platforms' token requests for `/api/activation-check/` are served by their own gunicorn
(`config.wsgi_lean:application`, README: Production), a Django process whose settings differ only
by a short middleware list (security headers, locale, Content-Length) and a one-path URLconf;
the view answers token clients in front of DRF's dispatch (same answer, error JSON and security
headers as the full stack: tests/limits/test_activation_lean.py); the hot statements are prepared
once per connection (Django binds parameters on the client, so PostgreSQL otherwise planned each
one again: planning cost more than running them); the token lookup is cached for 5 s per worker,
operators and products for 30 s, parsed area polygons until the limit changes; rows come as
tuples and become model instances without the ORM's query building; the input is parsed
without a DRF serializer. Run it with:

    apt-get install -y wrk
    scripts/with-postgres .venv/bin/python bench/activation_bench.py --write docs/PERFORMANCE.md
{MARK_END}
"""  # noqa: E501 - Markdown table rows

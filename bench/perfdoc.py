"""docs/PERFORMANCE.md: each benchmark owns one section between its start and end markers.

Also the result contract every benchmark writes for the summary table (`bench/run_all.py`):
`budget_row` builds one row per budget, `results_write` writes a bench's rows as JSON, and
`machine_line` describes the machine the figures were measured on.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
from pathlib import Path

HEADER = "# Performance\n\nMeasured by the scripts in `bench/` (SPEC §7).\n"


def section_write(path: Path, section: str, *, start: str, end: str) -> None:
    """Replace the section between `start` and `end` (appending it if absent); leave the rest."""
    text = path.read_text() if path.exists() else HEADER
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


# --- the result contract --------------------------------------------------------------------------


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
        "what": what,
        "budget": budget,
        "unit": unit,
        "runs": values,
        "median": median,
        "min": min(values),
        "max": max(values),
        "within": bool(within),
        "floor": None if floor is None else float(floor),
        "floor_label": floor_label,
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
    url = url if url is not None else os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    try:
        from urllib.parse import urlparse, urlunparse

        import psycopg

        # The server's maintenance database: the one named may not exist (yet).
        server = urlunparse(urlparse(url)._replace(path="/postgres"))
        with psycopg.connect(server, connect_timeout=5) as conn:
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

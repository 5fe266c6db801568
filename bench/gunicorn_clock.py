"""gunicorn configuration for benches that ask about a fixed day: each worker's clock starts at
BENCH_CLOCK (ISO 8601) and ticks from there (time-machine), so that "now" in the app is the
data set's day, as it is for a market platform asking about the hours ahead.

Used by bench/activation_forecast_bench.py (GUNICORN_CMD_ARGS="--config bench/gunicorn_clock.py"):
the forecast cache of the activation check (forecasts.congestion_cache) keeps the units near now,
and the data set's checks ask about T0's day (bench/shapes/activation.py). With
BENCH_FORECAST_STATEMENT set, the workers answer the forecast rule by its statement (the
bench's `--statement`: the figures before the cache).
"""

import os
from datetime import datetime

_travel = None


def post_fork(server, worker) -> None:
    global _travel
    clock = os.environ.get("BENCH_CLOCK")
    if clock:
        import time_machine

        _travel = time_machine.travel(datetime.fromisoformat(clock), tick=True)
        _travel.start()


def post_worker_init(worker) -> None:
    if os.environ.get("BENCH_FORECAST_STATEMENT"):  # the app is loaded now (Django set up)
        forecast_statement_only()


def forecast_statement_only() -> None:
    """The check's forecast rule by its statement on every call, as before the cache (the
    comparison's "before"): limits.activation.forecast reads forecasts.congestion's statement."""
    from forecasts.congestion import congested_units_as_of
    from limits.activation import forecast

    forecast.congested_units = congested_units_as_of

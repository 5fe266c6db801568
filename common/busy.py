"""A database too busy to write in time: 503 with Retry-After, never a 500.

On SQLite one connection writes at a time; another waits up to the connection's `timeout`
(config/env.py) and then fails with OperationalError "database is locked". That is not a bug
in the request but a moment of contention: the client is told to try again shortly (JSON under
/api/, a page elsewhere), and nothing was changed (the request's transaction rolled back).
PostgreSQL does not lock whole tables for writers, so it does not reach this path in normal use.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

# Seconds a client is asked to wait: a few batches of another user's import, or its swap.
RETRY_AFTER_SECONDS = 5
_BUSY_MESSAGES = ("database is locked", "database table is locked", "database is busy")


def is_database_busy(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError) and any(m in str(exc).lower() for m in _BUSY_MESSAGES)


def database_busy_response(request: HttpRequest) -> HttpResponse:
    message = _("The database is busy with another user's changes. Nothing was changed; "
                "please try again in a few seconds.")
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    else:
        response = HttpResponse(
            render_to_string("503.html", {"message": message}, request=request), status=503
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseBusyMiddleware:
    """Turns "database is locked" raised by a view (pages and API alike) into a 503."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return database_busy_response(request) if is_database_busy(exception) else None

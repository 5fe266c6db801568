"""Pages and endpoints that belong to no single app."""

from __future__ import annotations

import os
import sys

from celery import current_app
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from common.busy import database_busy_response, is_database_busy


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return {"status": "error", "error": exc.__class__.__name__}
    return {"status": "ok", "vendor": connection.vendor}


def _check_broker() -> dict:
    # The project's app (config/celery.py creates it as the current app); common imports no app.
    url = settings.CELERY_BROKER_URL
    transport = url.split(":", 1)[0]
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": "ok", "transport": "eager"}
    if transport == "filesystem":
        # kombu's filesystem transport "connects" without touching the disk: what can fail is
        # its folders (missing, or not writable by this process).
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        for key in ("data_folder_in", "data_folder_out", "control_folder"):
            folder = options.get(key)
            if not folder or not os.path.isdir(folder) or not os.access(folder, os.W_OK | os.X_OK):
                return {"status": "error", "transport": transport, "error": f"{key} unusable"}
        return {"status": "ok", "transport": transport}
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return {"status": "error", "transport": transport, "error": exc.__class__.__name__}
    return {"status": "ok", "transport": transport}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: 200 when the database and the broker answer, else 503."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(c["status"] == "ok" for c in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Pages without our <link rel="icon"> (admin, API docs) still ask for /favicon.ico."""
    return redirect(static("favicon.svg"), permanent=True)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 for a URL that matches no pattern: JSON under /api/ (SPEC §5), the page elsewhere."""
    if _wants_json(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def api_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 as JSON for every path: the lean entry (config.lean_urls) serves API clients only, and
    the site's page could not be drawn there (its layout links to pages that entry does not have)."""
    return JsonResponse({"detail": _("Not found.")}, status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400 for a request Django refuses before any view (too many fields, a bad host): JSON under /api/."""
    if _wants_json(request):
        return JsonResponse({"detail": _("Bad request."), "errors": {}}, status=400)
    from django.views.defaults import bad_request as default_bad_request

    return default_bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """500 without a stack trace: JSON under /api/, the plain error page elsewhere.

    A busy database raised outside a view (a middleware saving the session) is a 503 to retry.
    """
    if is_database_busy(sys.exc_info()[1]):
        return database_busy_response(request)
    if _wants_json(request):
        return JsonResponse({"detail": _("Server error: try again later.")}, status=500)
    from django.views.defaults import server_error as default_server_error

    return default_server_error(request)

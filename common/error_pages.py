"""The site's own 404 page also when DEBUG is on (`make run`, issue 15).

With DEBUG off Django answers a missing page through handler404 (common.views.not_found: the
site's layout, or JSON under /api/). With DEBUG on it shows its technical page instead, so the
embedded default would never show users the real one; this middleware sends both kinds of
404 — a URL no pattern matches, a view raising Http404 (an outsider, SPEC §4) — through the same
handler. GRIDPREQUAL_ERROR_PAGES_IN_DEBUG=false gives developers Django's technical page back.
403 needs nothing: Django renders templates/403.html whatever DEBUG says.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from common.views import not_found


def _active() -> bool:
    return settings.DEBUG and getattr(settings, "GRIDPREQUAL_ERROR_PAGES_IN_DEBUG", True)


class ErrorPagesInDebugMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _active():
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as exc:
                return not_found(request, exc)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if _active() and isinstance(exception, Http404):
            return not_found(request, exception)
        return None

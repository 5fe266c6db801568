"""Security headers Django 5.2 does not set itself: Content-Security-Policy and Permissions-Policy;
and query strings with NUL characters refused (RefuseNulInQueryMiddleware).

The policy allows only this site's own files (no CDN: SPEC §5). Inline scripts and styles are
refused, except those that carry the per-request nonce (`{{ request.csp_nonce }}`, used by the
API documentation pages). Map tiles, when GRIDPREQUAL_MAP_TILE_URL names another host, are
allowed as images from that host only (common/maps.py); the built-in outline is this site's own.
Redoc (/api/redoc/) builds its styles at run time: that page alone may use inline styles (the
report's charts are plain SVG coloured by the static CSS since issue 15).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from common.maps import map_tile_origin
from common.parsers import NUL_MESSAGE, form_nul_errors

# Paths whose pages need inline styles (a library that injects <style> elements at run time).
CSP_INLINE_STYLE_PATHS = ("/api/redoc/",)

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)


def content_security_policy(*, nonce: str, path: str) -> str:
    # The same policy but the nonce for every answer (SPEC §7: an API answer per bid): built once.
    return _policy(map_tile_origin(), path.startswith(CSP_INLINE_STYLE_PATHS)).replace(_NONCE, nonce)


_NONCE = "\x00nonce\x00"  # never in a policy: a nonce is URL-safe base64


@functools.lru_cache(maxsize=16)
def _policy(tiles: str | None, inline_style: bool) -> str:
    nonce = _NONCE
    img = ["'self'", "data:", "blob:"]
    if tiles:
        img.append(tiles)
    style = ["'self'"]
    if inline_style:
        style.append("'unsafe-inline'")  # a nonce would switch 'unsafe-inline' off: not both
    else:
        style.append(f"'nonce-{nonce}'")
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{nonce}'"],
        "style-src": style,
        "img-src": img,
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy and Permissions-Policy to every response that has none."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(18)
        request.csp_nonce = nonce
        response = self.get_response(request)
        response.headers.setdefault(
            "Content-Security-Policy", content_security_policy(nonce=nonce, path=request.path)
        )
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class RefuseNulInQueryMiddleware:
    """A query string with a NUL character (%00) is answered 400 before any view reads it.

    Lists, pickers and filters read `?q=` and other parameters into queries; PostgreSQL text
    cannot hold NUL (common/parsers.py refuses it in request bodies). API paths get the house's
    JSON error with a message per parameter; pages a short text.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "%00" in request.META.get("QUERY_STRING", ""):  # NUL can only come percent-encoded
            errors = form_nul_errors(request.GET)
            if errors:
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": str(NUL_MESSAGE), "errors": errors}, status=400)
                return HttpResponseBadRequest(str(NUL_MESSAGE), content_type="text/plain; charset=utf-8")
        return self.get_response(request)

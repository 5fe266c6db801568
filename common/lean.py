"""A lean request cycle for token clients of the hottest API path: the activation check.

Market platforms ask the activation check per bid (SPEC §7: ≥ 1,000 answers/s on two cores).
For them the full middleware stack does nothing useful: no session, no CSRF (token clients are
not browsers), no messages, no static files, no login throttling. `LeanHandler` is Django's own
WSGI handler (the same request/response cycle, signals, database connection management and
exception handling) with a short middleware list and a URLconf of only the lean paths;
`lean_dispatch` sends a request to it when the path is one of them and the request carries
`Authorization: Token ...`, and everything else to the full application.

The lean middleware keeps what an API answer needs: SecurityMiddleware (HTTPS redirect, HSTS,
nosniff, referrer policy), LocaleMiddleware (answers in the caller's language), the
Content-Security-Policy/Permissions-Policy headers and X-Frame-Options.
"""

from __future__ import annotations

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.urls import get_resolver
from django.utils.module_loading import import_string

LEAN_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "common.middleware.SecurityHeadersMiddleware",
]
LEAN_URLCONF = "config.lean_urls"


class LeanHandler(WSGIHandler):
    """Django's WSGI handler with LEAN_MIDDLEWARE and LEAN_URLCONF."""

    def load_middleware(self, is_async=False):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(LEAN_MIDDLEWARE):
            middleware = import_string(path)(handler)
            if hasattr(middleware, "process_view"):
                self._view_middleware.insert(0, middleware.process_view)
            if hasattr(middleware, "process_template_response"):
                self._template_response_middleware.append(middleware.process_template_response)
            if hasattr(middleware, "process_exception"):
                self._exception_middleware.append(middleware.process_exception)
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler

    def get_response(self, request):
        response = super().get_response(request)
        # CommonMiddleware's job in the full stack: without it the server would send the body
        # chunked (and gunicorn closes such keep-alive connections sooner).
        if not response.streaming and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))
        return response

    def resolve_request(self, request):
        match = get_resolver(LEAN_URLCONF).resolve(request.path_info)
        request.resolver_match = match
        return match


def lean_paths() -> frozenset[str]:
    from django.urls import URLPattern

    patterns = get_resolver(LEAN_URLCONF).url_patterns
    return frozenset("/" + str(p.pattern) for p in patterns if isinstance(p, URLPattern))


def lean_dispatch(application, lean: LeanHandler | None = None):
    """The WSGI application: token requests to a lean path go to `lean`, the rest to `application`."""
    lean = lean or LeanHandler()
    paths = lean_paths()

    def dispatch(environ, start_response):
        token = environ.get("HTTP_AUTHORIZATION", "")[:6].lower() == "token "
        if token and environ.get("PATH_INFO") in paths:
            return lean(environ, start_response)
        return application(environ, start_response)

    return dispatch

"""The lean entry's WSGI handler (config/wsgi_lean.py): a market platform's token POST to the
activation check answered beneath Django's middleware chain (SPEC §7: a check per bid).

Django's handler runs each request through the middleware chain: every middleware wrapped in an
exception converter, MiddlewareMixin's calls, the URL resolution, the view's wrappers. For the one
request the lean entry exists for (`POST /api/activation-check/`, `Authorization: Token …`, a JSON
body), this handler calls the same middleware's own methods in the chain's order instead: the
process_request of SecurityMiddleware (HTTPS redirect), LocaleMiddleware (the caller's language)
and CommonMiddleware (the host check), then SecurityHeadersMiddleware around the view's lean path
(ActivationCheckApi.token_answer), then the process_response of X-Frame-Options, Common
(Content-Length), Locale and Security (nosniff, referrer policy, HSTS). The same answer, status,
headers and error JSON as the chain gives (tests/limits/test_activation_lean.py); the request
signals, the connection handling and the error log are WSGIHandler's own.

Anything else goes through the chain as before: another path or method, no token, a body that is
not JSON, a middleware that answers itself (a redirect to HTTPS, a host not allowed), and any
process whose MIDDLEWARE or URLconf are not the lean settings' (a test overriding them).
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIHandler
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.locale import LocaleMiddleware
from django.middleware.security import SecurityMiddleware
from django.urls import set_urlconf
from django.utils.log import log_response

from common.middleware import SecurityHeadersMiddleware
from limits.apis import ActivationCheckApi
from limits.authentication import token_key_from_header

PATH = "/api/activation-check/"
# The chain this handler reproduces (config/settings_lean.py): in another, it steps aside.
CHAIN = (
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "common.middleware.SecurityHeadersMiddleware",
)
URLCONF = "config.lean_urls"


def _unused(request):  # the middleware's get_response: their methods are called one by one here
    raise AssertionError("not called")


class LeanWSGIHandler(WSGIHandler):
    """WSGIHandler, with the activation check's token POST answered beneath the chain."""

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async)
        # Built as the chain builds them: they read their settings now.
        self.lean = tuple(settings.MIDDLEWARE) == CHAIN and settings.ROOT_URLCONF == URLCONF
        if self.lean:
            self.security, self.locale = SecurityMiddleware(_unused), LocaleMiddleware(_unused)
            self.common, self.xframe = CommonMiddleware(_unused), XFrameOptionsMiddleware(_unused)
            self.headers = SecurityHeadersMiddleware(self._view)

    def get_response(self, request):
        response = None
        if (
            self.lean and request.method == "POST" and request.path_info == PATH
            and request.content_type == "application/json" and settings.ROOT_URLCONF == URLCONF
        ):
            key = token_key_from_header(request)
            if key is not None:
                set_urlconf(URLCONF)
                request.lean_token_key = key
                response = self._beneath_the_chain(request)
        if response is None:
            return super().get_response(request)
        response._resource_closers.append(request.close)
        if response.status_code >= 400:
            log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
        return response

    def _beneath_the_chain(self, request):
        """The chain's answer by its middleware's methods, or None: the chain answers."""
        try:
            for middleware in (self.security, self.locale, self.common):
                if middleware.process_request(request) is not None:
                    return None
        except Exception:  # noqa: BLE001 (the chain meets it again and answers as it does)
            return None
        try:
            response = self.headers(request)  # the view inside: CSP nonce and Permissions-Policy
            for middleware in (self.xframe, self.common, self.locale, self.security):
                response = middleware.process_response(request, response)
        except Exception as exc:  # noqa: BLE001 (the chain's outermost converter would answer)
            return response_for_exception(request, exc)
        return response

    @staticmethod
    def _view(request):
        try:
            return ActivationCheckApi.answer_for_token(request, key=request.lean_token_key)
        except Exception as exc:  # noqa: BLE001 (as the chain's converter around the view)
            return response_for_exception(request, exc)

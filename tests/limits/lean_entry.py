"""Calling the activation check's entries as gunicorn does, in the test's process: the lean
entry for market platforms (config/wsgi_lean.py) or the full stack (config/wsgi.py)."""

from __future__ import annotations

import io
import json
import sys

from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings

from config import settings_lean
from config.lean_handler import LeanWSGIHandler


def lean_settings():
    """The lean settings over the test settings: what config.wsgi_lean serves, in this process.

    (Importing config.wsgi_lean here would change nothing: the test settings are loaded already.)
    """
    return override_settings(MIDDLEWARE=settings_lean.MIDDLEWARE, ROOT_URLCONF=settings_lean.ROOT_URLCONF)


def wsgi(
    path: str, *, body: bytes = b"", method: str = "POST", headers: dict | None = None, full=False,
    chain=False,
):
    """Call the lean entry (its handler, config.lean_handler; with `full`, the full stack of
    config.wsgi; with `chain`, the lean settings through Django's own handler and middleware
    chain) as gunicorn does.

    → (status code, headers, body)
    """
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "SCRIPT_NAME": "",
        **(headers or {}),
    }
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)

    # As Django's test client does: the test's transaction must survive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        # Built per call, as config.wsgi builds it (get_wsgi_application): middleware read their
        # settings when built, and a test may change them.
        if full:
            result = WSGIHandler()(environ, start_response)
        else:
            with lean_settings():  # the URLconf is read per request
                result = (WSGIHandler if chain else LeanWSGIHandler)()(environ, start_response)
        content = b"".join(result)
        result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer["status"], answer["headers"], content


def post(key: str, data, *, full=False, chain=False, **headers):
    return wsgi(
        "/api/activation-check/",
        body=json.dumps(data).encode() if not isinstance(data, bytes) else data,
        headers={"HTTP_AUTHORIZATION": f"Token {key}", **headers},
        full=full,
        chain=chain,
    )

"""The REST API fuzzed against its own OpenAPI schema (/api/schema/) with schemathesis.

Every operation of the schema gets generated requests (valid and invalid), sent through the
Django WSGI application with the token of an FSP user and of an SO engineer, over a small world
(FSP A's SPU and case, the local DSO's area and limit). Each answer must not be a server error
and must conform to the schema: a documented status code, the documented content type, a body
matching the documented response schema.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.grid import make_world

pytestmark = [pytest.mark.slow]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 6  # per operation and identity: 46 operations x 2 identities, under 3 minutes


@pytest.fixture
def world(cast, settings):
    from django.core.cache import cache

    settings.DEBUG = False  # as in production: JSON 404/500 under /api/, no debug pages
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    cache.clear()  # the token endpoint's throttle counts in the cache
    make_world(cast)
    # Requests go through the real WSGI handler, which closes the database connection after
    # each one; the test's transaction lives on that connection (Django's test client
    # disconnects the same signals).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield cast
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _schema():
    from django.core.wsgi import get_wsgi_application

    loaded = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    # Hypothesis fuzzing (valid and invalid data) within MAX_EXAMPLES; schemathesis's coverage
    # phase, which sends every boundary case the schema defines whatever max_examples says,
    # would take several minutes.
    loaded.config.phases.coverage.enabled = False
    return loaded


schema = _schema()


def _run(case, user) -> None:
    token, _ = Token.objects.get_or_create(user=user)
    case.call_and_validate(headers={"Authorization": f"Token {token.key}"}, checks=CHECKS)


FUZZ_SETTINGS = hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.django_db
@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_an_fsp_user(case, world):
    _run(case, world.fsp_a_user)


@pytest.mark.django_db
@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_an_so_engineer(case, world):
    _run(case, world.local_engineer)


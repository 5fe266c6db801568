import os

import pytest
from rest_framework.test import APIClient

from tests.personas import make_cast, make_registry
from tests.workflow_helpers import at_t0, wf  # noqa: F401 (fixtures for every test)


@pytest.fixture
def cast(db):
    return make_cast()


@pytest.fixture
def registry(cast):
    """SPUs, SPGs and a membership of both FSPs (tests/personas.py make_registry)."""
    return make_registry(cast)


@pytest.fixture
def sweden(cast):
    """The cast with nested TSO, regional and local observability areas (tests/gis.py)."""
    from tests.gis import make_sweden_areas

    return make_sweden_areas(cast)


@pytest.fixture
def media(settings, tmp_path):
    """Uploads (area files awaiting confirmation) go to a folder of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def at_now():
    """The clock stopped at tests/limit_helpers.py NOW, a day before the limits' START."""
    import time_machine

    from tests.limit_helpers import NOW

    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as(api_client):
    """api_as(user) → an APIClient authenticated as that user (by token, as integrations do)."""
    from rest_framework.authtoken.models import Token

    def login(user):
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return login


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty default cache (LocMemCache, one per process). The token
    endpoint's throttle counts each client address's requests there (10 a minute): on a fast run
    the tests before one on the same worker could use them up, and it got a 429 where it expected
    a 400 (CI rehearsal, tests/platform/test_nul_input.py)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_area_index():
    """Each test starts without a cached observability-area index (ids repeat after rollbacks)."""
    from observability.resolver import area_index_clear

    area_index_clear()
    yield
    area_index_clear()


@pytest.fixture(autouse=True)
def _fresh_zone_index(monkeypatch):
    """Each test starts without the process's grid-zone index (forecasts.zone_index): its first
    lookup reads it, whatever ran before on the worker. Within a test only a stored zone version
    makes it read again, never the clock (the recheck every ZONE_INDEX_RECHECK_SECONDS is for
    other processes' uploads): a slow run must not change a test's query count."""
    from forecasts import zone_index

    monkeypatch.setattr(zone_index, "ZONE_INDEX_RECHECK_SECONDS", float("inf"))
    zone_index.zone_index_forget()
    yield
    zone_index.zone_index_forget()


@pytest.fixture(autouse=True)
def _fresh_congestion_cache():
    """Each test starts without the process's cache of congested forecast units
    (forecasts.congestion_cache): ids and data of an earlier test mean nothing here."""
    from forecasts import congestion_cache

    congestion_cache.cache_forget()
    yield
    congestion_cache.cache_forget()


@pytest.fixture(autouse=True)
def _fresh_register_partitions():
    """Each test starts without the process's set of register partitions (register.held_partitions):
    a test's partitions are rolled back with it. Forgetting costs no query: the first read learns
    the set from its own statement."""
    from register import held_partitions

    held_partitions.partitions_forget()
    yield
    held_partitions.partitions_forget()


# --- Real services (tests/services.py): PostgreSQL-only tests, Redis, Celery workers. ---


def _database_is_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` run in the PostgreSQL pass only (`make test` runs both passes).

    They are deselected, not skipped, on SQLite: they are not missing a service there, they
    belong to the other pass.
    """
    if _database_is_postgres():
        return
    postgres_only = [item for item in items if item.get_closest_marker("postgres")]
    if postgres_only:
        config.hook.pytest_deselected(items=postgres_only)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]


@pytest.fixture(scope="session")
def redis_server():
    """A redis-server on a free 127.0.0.1 port for this test process; stopped at the end."""
    from tests.services import RedisServer

    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def celery_worker_factory(redis_server, tmp_path):
    """start(beat=True) → a running Celery worker on the test broker and the test database.

    Needs PostgreSQL and a test marked django_db(transaction=True): the worker is another
    process and sees only committed rows. Every worker started is stopped after the test.
    """
    from django.db import connection

    from tests.services import CeleryWorker, database_url_for, require_postgres

    require_postgres()
    redis_server.flush()
    workers = []

    def start(*, beat: bool = True, concurrency: int = 2):
        worker = CeleryWorker(
            broker_url=redis_server.url,
            database_url=database_url_for(connection.settings_dict),
            beat=beat,
            concurrency=concurrency,
            log_path=tmp_path / f"worker-{len(workers)}.log",
        )
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()
    # The worker's connections are gone; the test database can be flushed.


@pytest.fixture
def grid(cast):
    """Areas, products and a prequalifiable SPU for the limit and activation-check tests."""
    from tests.grid import make_grid

    return make_grid(cast)


@pytest.fixture
def world(cast, registry):
    """Products and two market platforms for the activation-register tests (tests/register/helpers.py)."""
    from tests.register.helpers import make_world

    return make_world(cast, registry)


@pytest.fixture
def platform_token(cast):
    """The token key of a market platform client (the activation check's callers per bid),
    registered for the TSO (which procures the balancing products)."""
    from rest_framework.authtoken.models import Token

    from limits.models import MarketPlatformClient
    from tests.factories import UserFactory

    user = UserFactory(username="platform")
    client = MarketPlatformClient.objects.create(user=user, name="Nordic balancing platform")
    client.system_operators.add(cast.tso)
    return Token.objects.create(user=user).key


@pytest.fixture(autouse=True)
def _fresh_limit_lookups():
    """The activation check caches operators, products and tokens per process; ids repeat after
    rollbacks."""
    from limits.authentication import token_cache_clear
    from limits.selectors import lookup_cache_clear

    lookup_cache_clear()
    token_cache_clear()
    yield
    lookup_cache_clear()
    token_cache_clear()


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request in Swedish leaves its language active in the thread (LocaleMiddleware never
    deactivates it); later tests on the same worker compare English messages."""
    yield
    from django.utils import translation

    translation.deactivate()

@pytest.fixture
def axes_on(settings):
    """Login throttling (django-axes) switched on, 3 failures to lock out, reset around the test."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    from axes.utils import reset

    reset()
    yield
    reset()

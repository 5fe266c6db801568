import pytest
from rest_framework.test import APIClient

from tests.personas import make_cast


@pytest.fixture
def cast(db):
    return make_cast()


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
def _fresh_area_index():
    """Each test starts without a cached observability-area index (ids repeat after rollbacks)."""
    from observability.resolver import area_index_clear

    area_index_clear()
    yield
    area_index_clear()

import pytest

from tests.register.helpers import make_world


@pytest.fixture
def world(cast, registry):
    return make_world(cast, registry)

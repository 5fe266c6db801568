import pytest

from tests.forecasts.helpers import make_zones


@pytest.fixture
def zones(cast, grid):
    return make_zones(cast)

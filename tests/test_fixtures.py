"""The shared test helpers build what they promise (tests/personas.py, tests/grid.py, tests/factories.py)."""

from prequal.models import Case


def test_cast_builds(cast):
    assert cast.local.upstream == cast.regional
    assert cast.regional.upstream_chain() == [cast.tso]


def test_setup_prequalifies(grid):
    case = grid.prequalify(spu=grid.spu)
    assert case.status == Case.Status.APPROVED

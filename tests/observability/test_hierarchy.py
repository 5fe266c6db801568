"""The SO hierarchy (SPEC §2): a TSO has no upstream, every DSO has one, and no cycles."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from observability.models import SystemOperator
from tests.factories import SystemOperatorFactory

Tier = SystemOperator.Tier


def upstream_error(so: SystemOperator) -> str:
    with pytest.raises(ValidationError) as info:
        so.clean()
    assert list(info.value.message_dict) == ["upstream"]
    return info.value.message_dict["upstream"][0]


@pytest.fixture
def tso(db):
    return SystemOperatorFactory(organisation__name="TSO", tier=Tier.TSO)


def chain(tso: SystemOperator, length: int, *, name: str = "DSO") -> list[SystemOperator]:
    """`length` DSOs below the TSO, each the upstream of the next."""
    operators, upstream = [], tso
    for n in range(length):
        tier = Tier.REGIONAL_DSO if n == 0 else Tier.LOCAL_DSO
        upstream = SystemOperatorFactory(
            organisation__name=f"{name} {n + 1}", tier=tier, upstream=upstream
        )
        operators.append(upstream)
    return operators


def test_a_tso_has_no_upstream(tso):
    other_tso = SystemOperatorFactory(tier=Tier.TSO)
    tso.upstream = other_tso
    assert upstream_error(tso) == "A TSO has no upstream operator."


def test_a_tso_alone_is_fine(tso):
    tso.full_clean()


@pytest.mark.parametrize("tier", [Tier.REGIONAL_DSO, Tier.LOCAL_DSO])
def test_a_dso_needs_an_upstream(db, tier):
    dso = SystemOperatorFactory.build(tier=tier, upstream=None)
    assert upstream_error(dso) == "A DSO needs an upstream operator."


def test_a_chain_of_four_dsos_is_accepted(tso):
    # Norway-style: TSO ← DSO 1 ← DSO 2 ← DSO 3 ← DSO 4.
    dsos = chain(tso, 4)
    for so in dsos:
        so.full_clean()
    assert dsos[-1].upstream_chain() == [dsos[2], dsos[1], dsos[0], tso]


def test_an_operator_cannot_be_its_own_upstream(tso):
    (dso,) = chain(tso, 1)
    dso.upstream = dso
    assert "cycle" in upstream_error(dso)


def test_a_two_operator_cycle_is_refused(tso):
    a, b = chain(tso, 2)  # TSO ← A ← B
    a.upstream = b  # A ← B ← A
    assert upstream_error(a) == "DSO 1 would make the operator hierarchy a cycle."


def test_a_cycle_through_four_operators_is_refused(tso):
    a, b, c, d = chain(tso, 4)  # TSO ← A ← B ← C ← D
    a.upstream = d  # A ← B ← C ← D ← A
    assert "cycle" in upstream_error(a)
    # Moving the top of the chain under a sibling branch is fine.
    (other,) = chain(tso, 1, name="Sibling")
    a.upstream = other
    a.clean()


def test_a_cycle_already_in_the_data_does_not_hang_the_check(tso):
    # Data written around clean() (a raw update): B ← C ← B. A new DSO below B must still
    # get an answer, not an endless walk.
    b, c = chain(tso, 2)
    SystemOperator.objects.filter(pk=b.pk).update(upstream=c)
    newcomer = SystemOperatorFactory.build(
        tier=Tier.LOCAL_DSO, upstream=SystemOperator.objects.get(pk=c.pk)
    )
    assert "cycle" in upstream_error(newcomer)

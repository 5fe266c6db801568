"""Every allowed and every forbidden transition of cases and assessments (django-fsm-2)."""

from __future__ import annotations

import itertools

import pytest
from django_fsm import TransitionNotAllowed

from prequal.models import Assessment, Case

C = Case.Status
A = Assessment.Status

CASE_ALLOWED = {
    ("submit", C.DRAFT): C.SUBMITTED,
    ("open_assessment", C.SUBMITTED): C.UNDER_ASSESSMENT,
    ("withdraw", C.SUBMITTED): C.WITHDRAWN,
    ("withdraw", C.UNDER_ASSESSMENT): C.WITHDRAWN,
    ("approve", C.UNDER_ASSESSMENT): C.APPROVED,
    ("approve_conditionally", C.UNDER_ASSESSMENT): C.CONDITIONALLY_APPROVED,
    ("refuse", C.UNDER_ASSESSMENT): C.NOT_APPROVED,
    ("reassess", C.UNDER_ASSESSMENT): C.UNDER_ASSESSMENT,
    ("reassess", C.APPROVED): C.UNDER_ASSESSMENT,
    ("reassess", C.CONDITIONALLY_APPROVED): C.UNDER_ASSESSMENT,
    ("reassess", C.NOT_APPROVED): C.UNDER_ASSESSMENT,
    ("expire", C.APPROVED): C.EXPIRED,
    ("expire", C.CONDITIONALLY_APPROVED): C.EXPIRED,
    ("expire", C.NOT_APPROVED): C.EXPIRED,
}
CASE_METHODS = sorted({m for m, _ in CASE_ALLOWED})

ASSESSMENT_ALLOWED = {
    ("declare_incomplete", A.PENDING): A.INCOMPLETE,
    ("resume", A.INCOMPLETE): A.PENDING,
    ("approve", A.PENDING): A.APPROVED,
    ("approve_with_conditions", A.PENDING): A.CONDITIONALLY_APPROVED,
    ("refuse", A.PENDING): A.NOT_APPROVED,
    ("apply_silence", A.PENDING): A.APPROVED_BY_SILENCE,
    ("cancel", A.PENDING): A.CANCELLED,
    ("cancel", A.INCOMPLETE): A.CANCELLED,
}
ASSESSMENT_METHODS = sorted({m for m, _ in ASSESSMENT_ALLOWED})


def _all(methods, states):
    return [pytest.param(m, s, id=f"{m}-from-{s}") for m, s in itertools.product(methods, states)]


@pytest.mark.parametrize(("method", "source"), _all(CASE_METHODS, C.values))
def test_case_transition(method, source):
    case = Case(status=source)
    expected = CASE_ALLOWED.get((method, source))
    if expected is None:
        with pytest.raises(TransitionNotAllowed):
            getattr(case, method)()
        assert case.status == source
    else:
        getattr(case, method)()
        assert case.status == expected


@pytest.mark.parametrize(("method", "source"), _all(ASSESSMENT_METHODS, A.values))
def test_assessment_transition(method, source):
    assessment = Assessment(status=source)
    expected = ASSESSMENT_ALLOWED.get((method, source))
    if expected is None:
        with pytest.raises(TransitionNotAllowed):
            getattr(assessment, method)()
        assert assessment.status == source
    else:
        getattr(assessment, method)()
        assert assessment.status == expected


def test_the_tables_cover_every_declared_transition():
    """A transition added to a model without a line in the tables above fails here."""
    declared_case = {(t.name, t.source) for t in Case._meta.get_field("status").get_all_transitions(Case)}
    declared_assessment = {
        (t.name, t.source) for t in Assessment._meta.get_field("status").get_all_transitions(Assessment)
    }
    assert declared_case == set(CASE_ALLOWED)
    assert declared_assessment == set(ASSESSMENT_ALLOWED)


def test_status_cannot_be_assigned_directly():
    case = Case(status=C.DRAFT)
    with pytest.raises(AttributeError):
        case.status = C.APPROVED

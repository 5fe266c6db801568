"""The workflow world: a product, an SPU of FSP A at the local DSO, cases, and decisions.

The `wf` and `at_t0` fixtures reach every test through tests/conftest.py.
With the cast's operators, a case for `wf.spu` is assessed by the local DSO (connecting)
and the TSO (procuring `wf.product`); `wf.spg_case()` adds the other local DSO too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from observability.models import SystemOperator
from prequal.models import Assessment, Case, DeadlineRule, Product, Spg, Spu
from prequal.services.cases import assessment_decide, case_create_draft, case_submit
from prequal.services.deadlines import deadline_rule_in_force
from tests.factories import (
    ConnectionPointFactory,
    ProductFactory,
    SpgFactory,
    SpgMembershipFactory,
    SpuFactory,
)
from tests.personas import Cast


@dataclass
class Workflow:
    cast: Cast
    product: Product
    spu: Spu

    def draft(
        self, *, spu: Spu | None = None, spg: Spg | None = None, product: Product | None = None
    ) -> Case:
        if spg is None:
            spu = spu or self.spu
        return case_create_draft(user=self.cast.fsp_a_user, spu=spu, spg=spg, product=product or self.product)

    def submitted(self, **kwargs) -> Case:
        return case_submit(user=self.cast.fsp_a_user, case=self.draft(**kwargs))

    def spg_case(self) -> Case:
        """A submitted SPG case with members at the local and the other local DSO."""
        spg = SpgFactory(fsp=self.cast.fsp_a, bidding_zone="SE3")
        for so in (self.cast.local, self.cast.other_local):
            spu = SpuFactory(fsp=self.cast.fsp_a, connection_point=ConnectionPointFactory(connecting_so=so))
            SpgMembershipFactory(spg=spg, spu=spu, valid_from=timezone.now())
        return self.submitted(spg=spg)

    @staticmethod
    def assessment(case: Case, so: SystemOperator) -> Assessment:
        return Assessment.objects.get(case=case, system_operator=so, round=case.round)

    @staticmethod
    def fresh(obj):
        return type(obj).objects.get(pk=obj.pk)


def ensure_default_deadline_rule() -> DeadlineRule:
    """The rule data migration 0003 creates; transactional tests (live_server, threads) flush it."""
    rule, _ = DeadlineRule.objects.get_or_create(
        jurisdiction="",
        valid_from=datetime(2000, 1, 1, tzinfo=UTC),
        defaults={
            "name": "Grid prequalification: three months from a complete application",
            "legal_basis": "SO GL Art. 182(3)",
            "period_months": 3,
            "supplement_period_days": 28,
            "reminder_days": [7, 1],
            "outcome_validity_months": 60,
        },
    )
    return rule


@pytest.fixture
def wf(cast) -> Workflow:
    ensure_default_deadline_rule()
    product = ProductFactory(code="mfrr-energy", name="mFRR energy", procuring_so=cast.tso)
    spu = SpuFactory(
        fsp=cast.fsp_a, connection_point=ConnectionPointFactory(connecting_so=cast.local), code="BAT-1"
    )
    return Workflow(cast=cast, product=product, spu=spu)


T0 = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)  # Monday 10:00 in Stockholm


CONDITION = {
    "max_up_mw": Decimal("2"),
    "months": [12, 1, 2],
    "weekdays": [0, 1, 2, 3, 4],
    "start_time": "07:00",
    "end_time": "09:00",
}


def approve(user, assessment):
    return assessment_decide(user=user, assessment=assessment, outcome="approved")


def approve_conditionally(user, assessment, conditions=(CONDITION,)):
    return assessment_decide(
        user=user,
        assessment=assessment,
        outcome="conditionally_approved",
        reason="Congestion on the 10 kV feeder in winter mornings.",
        conditions=list(conditions),
    )


def refuse(user, assessment):
    return assessment_decide(
        user=user,
        assessment=assessment,
        outcome="not_approved",
        justification="The transformer is at its limit.",
        limits_explanation="The congestion is structural, not temporary.",
    )


@pytest.fixture
def at_t0():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def api_url(name: str, *args) -> str:
    return reverse(f"api:{name}", args=args)


def decide_body(**extra) -> dict:
    """An API body for assessment-decide: an approval unless told otherwise."""
    return {"outcome": "approved", **extra}


def many_due_assessments(*, cast, count: int) -> list[int]:
    """`count` cases under assessment, each with one pending assessment past its deadline.

    One live case per SPU and product (a database constraint): `count` SPUs behind one point.
    """
    first = SpuFactory(fsp=cast.fsp_a, connection_point__connecting_so=cast.local)
    spus = [first] + Spu.objects.bulk_create(
        Spu(fsp=cast.fsp_a, connection_point=first.connection_point, code=f"BULK-{i:05d}",
            name=f"Unit {i}", technology=first.technology, max_up_kw=first.max_up_kw,
            max_down_kw=first.max_down_kw)
        for i in range(1, count)
    )
    product = ProductFactory(procuring_so=cast.local)
    now = timezone.now()
    rule = deadline_rule_in_force(system_operator=cast.local, at=now)
    cases = Case.objects.bulk_create(
        Case(fsp=cast.fsp_a, spu=spu, product=product, status=Case.Status.UNDER_ASSESSMENT,
             round=1, submitted_at=now - timedelta(days=100))
        for spu in spus
    )
    assessments = Assessment.objects.bulk_create(
        Assessment(case=c, round=1, system_operator=cast.local, reasons=["connecting"],
                   deadline_rule=rule, clock_started_at=now - timedelta(days=100),
                   deadline=now - timedelta(minutes=1) + timedelta(milliseconds=i))
        for i, c in enumerate(cases)
    )
    return [a.pk for a in assessments]


def case_page(case):
    return reverse("prequal:case-detail", kwargs={"pk": case.pk})


def decide_page(assessment):
    return reverse("prequal:assessment-decide", kwargs={"pk": assessment.pk})


def decide_by_form(client, assessment, **data):
    """POST a decision the way the form does (the `seen` stamp and an empty conditions formset)."""
    assessment = Assessment.objects.get(pk=assessment.pk)
    payload = {
        "seen": assessment.updated_at.isoformat(),
        "conditions-TOTAL_FORMS": "3", "conditions-INITIAL_FORMS": "0",
        "conditions-MIN_NUM_FORMS": "0", "conditions-MAX_NUM_FORMS": "10",
        "reason": "", "justification": "", "limits_explanation": "",
    }
    payload.update(data)
    return client.post(decide_page(assessment), payload)

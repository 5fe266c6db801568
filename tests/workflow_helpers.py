"""Shared set-up for workflow tests: a product, an SPU of FSP A at the local DSO, cases.

Use the `wf` fixture (import it into a test module: `from tests.workflow_helpers import wf`).
With the cast's operators, a case for `wf.spu` is assessed by the local DSO (connecting)
and the TSO (procuring `wf.product`); `wf.spg_case()` adds the other local DSO too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from observability.models import SystemOperator
from prequal.models import Assessment, Case, DeadlineRule, Product, Spg, Spu
from prequal.services.cases import case_create_draft, case_submit
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

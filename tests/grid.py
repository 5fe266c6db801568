"""The grid world for the limit and activation-check tests (the `grid` fixture in conftest; read by
tests/rules/test_r7…, test_r8…, test_r10…, tests/limits/ and others): areas, products, prequalified
resources; `make_world` adds one of every other object. Limit and check helpers: limit_helpers.py.

With the cast: the local DSO connects `grid.cp` (Stockholm) where FSP A's SPU `grid.spu`
(1 MW up, 1 MW down) sits; the local DSO's observability area is a box around Stockholm, the
other local DSO's a box around Gothenburg. `grid.mfrr` is mFRR energy (15-min MTU, gate
closure 45 min), `grid.local_product` a local 60-min product closing 120 min ahead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import time_machine

from forecasts.services import grid_zone_upload
from limits.models import TargetKind
from limits.services import limit_create
from notices.models import Notification
from prequal.models import Assessment, Case, Direction, Product
from prequal.services.cases import assessment_decide, case_create_draft, case_submit
from tests.factories import (
    ConnectionPointFactory,
    ProductFactory,
    SpgFactory,
    SpgMembershipFactory,
    SpuFactory,
    make_area,
)
from tests.gis import GOTHENBURG_BOX, STOCKHOLM_BOX
from tests.personas import Cast
from tests.workflow_helpers import ensure_default_deadline_rule

SETUP_TIME = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


@dataclass
class Grid:
    cast: Cast
    mfrr: Product
    local_product: Product
    cp: object
    spu: object

    def engineer_for(self, so):
        c = self.cast
        return {
            c.local.pk: c.local_engineer,
            c.other_local.pk: c.other_local_engineer,
            c.regional.pk: c.regional_engineer,
            c.tso.pk: c.tso_engineer,
        }[so.pk]

    def new_spu(self, *, fsp=None, cp=None, up_kw="1000", down_kw="1000", **kwargs):
        return SpuFactory(
            fsp=fsp or self.cast.fsp_a,
            connection_point=cp
            or ConnectionPointFactory(connecting_so=self.cast.local, latitude=59.33, longitude=18.06),
            max_up_kw=Decimal(up_kw),
            max_down_kw=Decimal(down_kw),
            **kwargs,
        )

    def prequalify(
        self, *, spu=None, spg=None, product=None, conditions_by_so=None, refuse=False, excluded_by_so=None
    ) -> Case:
        """A decided case: every assessing SO approves (or approves with its conditions, or refuses;
        `excluded_by_so`: the group members an SO's approval leaves out)."""
        ensure_default_deadline_rule()  # a transactional test before this one may have flushed it
        conditions_by_so = conditions_by_so or {}
        excluded_by_so = excluded_by_so or {}
        user = self.cast.fsp_a_user if (spu or spg).fsp_id == self.cast.fsp_a.pk else self.cast.fsp_b_user
        with time_machine.travel(SETUP_TIME, tick=False):
            case = case_create_draft(user=user, spu=spu, spg=spg, product=product or self.mfrr)
            case = case_submit(user=user, case=case)
            for assessment in Assessment.objects.filter(case=case, round=case.round).select_related(
                "system_operator"
            ):
                so = assessment.system_operator
                conditions = conditions_by_so.get(so.pk)
                if refuse:
                    kwargs = {
                        "outcome": "not_approved",
                        "justification": "Congestion.",
                        "limits_explanation": "Permanent.",
                    }
                elif conditions:
                    kwargs = {
                        "outcome": "conditionally_approved",
                        "reason": "Grid limits.",
                        "conditions": conditions,
                    }
                else:
                    kwargs = {"outcome": "approved"}
                if so.pk in excluded_by_so:
                    left_out = [m.pk for m in excluded_by_so[so.pk]]
                    kwargs.update(excluded_members=left_out, reason="Feeder full.")
                assessment_decide(user=self.engineer_for(so), assessment=assessment, **kwargs)
        return Case.objects.get(pk=case.pk)

    def spg_with_members(self, *, members):
        spg = SpgFactory(fsp=self.cast.fsp_a, bidding_zone="SE3")
        for spu in members:
            SpgMembershipFactory(spg=spg, spu=spu, valid_from=datetime(2026, 1, 1, tzinfo=UTC))
        return spg


def make_grid(cast) -> Grid:
    """Read by the `grid` fixture (tests/conftest.py)."""
    with time_machine.travel(SETUP_TIME, tick=False):
        make_area(system_operator=cast.local, geometry=STOCKHOLM_BOX)
        make_area(system_operator=cast.other_local, geometry=GOTHENBURG_BOX)
    mfrr = ProductFactory(
        code="mfrr-energy",
        name="mFRR energy",
        procuring_so=cast.tso,
        market_time_unit_minutes=15,
        gate_closure_minutes=45,
        directions=Direction.BOTH,
    )
    local_product = ProductFactory(
        code="local-flex",
        name="Local flex",
        procuring_so=cast.local,
        kind="local",
        market_time_unit_minutes=60,
        gate_closure_minutes=120,
        directions=Direction.UP,
    )
    cp = ConnectionPointFactory(connecting_so=cast.local, latitude=59.33, longitude=18.06)
    spu = SpuFactory(
        fsp=cast.fsp_a,
        connection_point=cp,
        code="BAT-1",
        max_up_kw=Decimal("1000"),
        max_down_kw=Decimal("1000"),
    )
    return Grid(cast=cast, mfrr=mfrr, local_product=local_product, cp=cp, spu=spu)



def make_world(cast) -> dict:
    """One of every object a page or endpoint shows, on the grid (read by the permission matrix and
    the API fuzzing): FSP A's resources, cases and SPG; the local DSO's area and limit; the TSO's
    product."""
    ensure_default_deadline_rule()
    grid = make_grid(cast)
    with time_machine.travel(SETUP_TIME, tick=False):
        submitted = case_submit(
            user=cast.fsp_a_user,
            case=case_create_draft(user=cast.fsp_a_user, spu=grid.spu, product=grid.mfrr),
        )
        draft = case_create_draft(user=cast.fsp_a_user, spu=grid.spu, product=grid.local_product)
        limit = limit_create(
            user=cast.local_engineer, system_operator=cast.local, target_kind=TargetKind.SPU,
            spu=grid.spu, direction=Direction.UP, quantity_mw=Decimal("0.5"),
            start=SETUP_TIME + timedelta(days=1), end=SETUP_TIME + timedelta(days=1, hours=2),
            reason="Maintenance",
        )
        # The local DSO's whole observability area as its one grid zone (congestion forecasts).
        zone = grid_zone_upload(
            user=cast.local_engineer, system_operator=cast.local, code="LOCAL", name="Local grid",
            whole_area=True,
        ).zone
    spg = SpgFactory(fsp=cast.fsp_a, bidding_zone="SE3")
    membership = SpgMembershipFactory(spg=spg, spu=grid.spu, valid_from=SETUP_TIME)
    from observability.models import ObservabilityArea

    return {
        "operator": cast.local,
        "other_operator": cast.other_local,
        "tso": cast.tso,
        "cp": grid.cp,
        "area": ObservabilityArea.objects.filter(system_operator=cast.local).first(),
        "spu": grid.spu,
        "spg": spg,
        "membership": membership,
        "product": grid.mfrr,
        "case": submitted,
        "draft": draft,
        "assessment": Assessment.objects.get(case=submitted, system_operator=cast.local),
        "limit": limit,
        "zone": zone,
        # FSP A's user's own notification (issue 15): nobody else reads or marks it.
        "notice": Notification.objects.create(
            user=cast.fsp_a_user, kind=Notification.Kind.CASE_SUBMITTED, subject="Case", url="/"),
    }



"""What the home page's dashboards show on `make run` (issue 15): at the demo engineer's local
DSO, one application due within days (written like the history in demo/cases.py, submitted about
three months ago), one whose engineer asked the FSP for information, and one where the FSP has
supplied it (these two through the services, with their audit rows and e-mails). Idempotent: once
the operator has declared a case incomplete, nothing more is made."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from demo import sweden
from demo.cases import demo_open_case_write
from observability.models import SystemOperator
from prequal.models import Assessment, Case, CaseEvent, Product, Spu
from prequal.services.cases import (
    assessment_declare_incomplete,
    case_create_draft,
    case_submit,
    case_supply_information,
)
from prequal.services.readers import resource_readers_refresh

DEMO_ENGINEER = "engineer-malarenergi"
DUE_IN_DAYS = 4  # the first application's deadline, about this many days ahead
CLOCK = timedelta(days=92)  # about the default rule's three months


def _free_pairs(so: SystemOperator) -> list[tuple[Spu, Product]]:
    """(SPU at the operator's points, TSO product) with no case yet, in a stable order."""
    products = list(
        Product.objects.filter(code__in=[p.code for p in sweden.PRODUCTS], procuring_so__tier="tso")
        .order_by("code")
    )
    cases = Case.objects.filter(spu__connection_point__connecting_so=so)
    taken = set(cases.values_list("spu_id", "product_id"))
    spus = Spu.objects.filter(connection_point__connecting_so=so, is_active=True).select_related("fsp")
    return [(spu, p) for spu in spus.order_by("code") for p in products if (spu.pk, p.pk) not in taken]


@transaction.atomic
def demo_dashboard_load(*, now: datetime | None = None) -> list[Case]:
    """The three applications (created if missing); the new ones are returned."""
    engineer = User.objects.get(username=DEMO_ENGINEER)
    so = SystemOperator.objects.get(organisation__memberships__user=engineer)
    if CaseEvent.objects.filter(assessment__system_operator=so, action="declare_incomplete").exists():
        return []
    pairs = _free_pairs(so)
    if len(pairs) < 3:
        return []
    (due_spu, due_product), *others = pairs[:3]
    start = (now or timezone.now()) - CLOCK + timedelta(days=DUE_IN_DAYS)
    fsp_users = {spu.fsp_id: User.objects.get(memberships__organisation=spu.fsp.organisation_id)
                 for spu, _p in others}
    asked, supplied = (
        case_submit(user=fsp_users[spu.fsp_id], case=case_create_draft(
            user=fsp_users[spu.fsp_id], spu=spu, product=product))
        for spu, product in others
    )
    for case in (asked, supplied):
        assessment_declare_incomplete(
            user=engineer, assessment=Assessment.objects.get(case=case, system_operator=so),
            missing_information="A single-line diagram of the installation and the inverter's data sheet.",
        )
    case_supply_information(
        user=fsp_users[supplied.spu.fsp_id], case=supplied,
        information="Single-line diagram and data sheet sent by e-mail to the grid planning team.",
    )
    due = demo_open_case_write(spu=due_spu, product=due_product, submitted=start)
    resource_readers_refresh(spu_ids=[due_spu.pk])  # written in bulk: who reads it, from the rule
    return [due, asked, supplied]

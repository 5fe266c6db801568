"""The FSP's dashboard: what needs its action, and its resources' state per product.

Figures count with the selectors their links use (prequal.selectors.cases, limits.selectors),
by conditional aggregation; the matrix reads a capped page of SPUs and of SPGs and their live
cases, a constant number of queries whatever the portfolio's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import user_roles
from dashboards.figures import Figure, list_url
from dashboards.selectors_so import OUTCOMES, limit_counts, limit_figures
from prequal.models import Assessment, Case, Product, Spg, Spu
from prequal.selectors.cases import WAITING_INFORMATION, assessment_decided_q, case_list_for_user
from prequal.selectors.periods import DECIDED_LAST_30_DAYS, DECIDED_THIS_MONTH, decided_bounds, month_bounds
from prequal.selectors.resources import fsps_for_user, product_list

S = Assessment.Status
# Rows of the resource × product matrix per kind; beyond, a link to the full list.
MATRIX_ROWS = 25
LIMITS_CHANGED = timedelta(days=7)


@dataclass
class MatrixRow:
    kind: str  # "spu" or "spg"
    resource: Spu | Spg  # its pk and code only
    url: str  # the resource's page
    cells: list[Case | None] = field(default_factory=list)  # one per product, its live case


@dataclass(frozen=True)
class FspDashboard:
    needs_action: list[Figure]
    decided: list[Figure]
    limits: list[Figure]
    products: list[Product]
    rows: list[MatrixRow]
    more_spus: bool
    more_spgs: bool
    month_start: datetime


def _decision_figures(*, fsp_ids: list[int], now: datetime) -> tuple[Figure, list[Figure]]:
    """Conditions set in the last 30 days, and decisions this month by outcome: distinct cases,
    as the case list counts them for ?decided=…&outcome=… (one query)."""
    month, recent = month_bounds(now=now), decided_bounds(DECIDED_LAST_30_DAYS, now=now)
    since = min(month[0], recent[0])
    month_q = Q(decided_at__gte=month[0], decided_at__lt=month[1])
    recent_q = Q(decided_at__gte=recent[0], decided_at__lt=recent[1], status=S.CONDITIONALLY_APPROVED)
    counts = Assessment.objects.filter(
        assessment_decided_q(bounds=(since, month[1]), outcome=None), case__fsp_id__in=fsp_ids
    ).aggregate(
        conditions=Count("case_id", distinct=True, filter=recent_q),
        **{k: Count("case_id", distinct=True, filter=month_q & Q(status=k)) for k in OUTCOMES},
    )
    conditions = Figure(
        "conditions", _("Conditions set in the last 30 days"), counts["conditions"],
        list_url("prequal:case-list", decided=DECIDED_LAST_30_DAYS, outcome=S.CONDITIONALLY_APPROVED),
    )
    decided = [
        Figure(str(k), str(k.label), counts[k],
               list_url("prequal:case-list", decided=DECIDED_THIS_MONTH, outcome=k))
        for k in OUTCOMES
    ]
    return conditions, decided


def _matrix(*, fsp_ids: list[int], products: list[Product]) -> tuple[list[MatrixRow], bool, bool]:
    """The first MATRIX_ROWS active SPUs and SPGs by code, each with its live case per product
    (a resource has at most one live case per product: Case's unique constraints)."""
    # The page shows each resource's code and links to it: no more of the row is read.
    spus, spgs = (
        list(model.objects.filter(fsp_id__in=fsp_ids, is_active=True).only("pk", "code")
             .order_by("code", "pk")[:cap])
        for model, cap in ((Spu, MATRIX_ROWS + 1), (Spg, MATRIX_ROWS + 1))
    )
    more_spus, more_spgs = len(spus) > MATRIX_ROWS, len(spgs) > MATRIX_ROWS
    spus, spgs = spus[:MATRIX_ROWS], spgs[:MATRIX_ROWS]
    live = Case.objects.filter(
        Q(spu_id__in=[s.pk for s in spus]) | Q(spg_id__in=[g.pk for g in spgs])
    ).exclude(status__in=[Case.Status.WITHDRAWN, Case.Status.EXPIRED])
    by_cell = {
        (("spu", c.spu_id) if c.spu_id else ("spg", c.spg_id), c.product_id): c
        for c in live.only("pk", "status", "spu_id", "spg_id", "product_id", "previous_outcome")
    }
    rows = [MatrixRow("spu", spu, reverse("prequal:spu-detail", args=[spu.pk])) for spu in spus] + [
        MatrixRow("spg", spg, reverse("prequal:spg-detail", args=[spg.pk])) for spg in spgs]
    for row in rows:
        row.cells = [by_cell.get(((row.kind, row.resource.pk), p.pk)) for p in products]
    return rows, more_spus, more_spgs


def fsp_dashboard(*, user, now: datetime | None = None) -> FspDashboard | None:
    """The figures of the user's FSPs; None for users of no FSP."""
    if not user_roles(user=user).is_fsp:
        return None
    now = now or timezone.now()
    fsp_ids = list(fsps_for_user(user=user).values_list("pk", flat=True))
    waiting = case_list_for_user(user=user, waiting=WAITING_INFORMATION).order_by().count()
    limits = limit_counts(user=user, now=now, changed_since=now - LIMITS_CHANGED)
    conditions, decided = _decision_figures(fsp_ids=fsp_ids, now=now)
    # The heads show each product's name in the reader's language: no more of it is read.
    products = list(
        product_list().select_related(None).only("pk", "code", "name", "name_sv").order_by("code"))
    rows, more_spus, more_spgs = _matrix(fsp_ids=fsp_ids, products=products)
    return FspDashboard(
        needs_action=[
            Figure("information", _("Information requested from you"), waiting,
                   list_url("prequal:case-list", waiting=WAITING_INFORMATION)),
            conditions,
            Figure("limits_changed", _("Limits on your resources changed in the last 7 days"),
                   limits["changed"], list_url("limits:limit-list", status="", changed="7d")),
        ],
        decided=decided,
        limits=limit_figures(user=user, now=now, counts=limits),
        products=products,
        rows=rows,
        more_spus=more_spus,
        more_spgs=more_spgs,
        month_start=month_bounds(now=now)[0],
    )

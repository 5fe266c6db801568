"""An SPU's or SPG's prequalification state per product (its page; what Elhub's flexibility
register shows an FSP): one row per product, with the case the user may read, its dates and the
conditions of its current round in words. A constant number of queries whatever the cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F

from prequal.models import Case, Condition, Product, Spg, Spu
from prequal.selectors.cases import case_list_for_user

# A case that no longer stands: shown only when the product has no standing case.
_GONE = (Case.Status.WITHDRAWN, Case.Status.EXPIRED)


@dataclass
class ProductState:
    product: Product
    case: Case | None = None  # None: never applied (or no case the user may read)
    conditions: list[Condition] = field(default_factory=list)

    @property
    def state(self) -> str:
        return self.case.status if self.case else ""

    @property
    def decided_at(self) -> datetime | None:
        return self.case.decided_at if self.case else None

    @property
    def valid_until(self) -> datetime | None:
        return self.case.valid_until if self.case else None


def resource_product_states(*, user, spu: Spu | None = None, spg: Spg | None = None) -> list[ProductState]:
    """Per product offered (and any other with a case of the resource), in code order: the case
    that stands (at most one per resource and product; else the latest gone one) and its
    current round's conditions (the union R5 speaks of)."""
    cases = case_list_for_user(user=user).filter(spu=spu) if spu else case_list_for_user(user=user).filter(
        spg=spg
    )
    cases = cases.exclude(status=Case.Status.DRAFT)
    by_product: dict[int, Case] = {}
    for case in cases.order_by("created_at", "pk"):
        held = by_product.get(case.product_id)
        if held is None or held.status in _GONE or case.status not in _GONE:
            by_product[case.product_id] = case
    # Always one query (by the cases' subquery, not their ids), with or without cases.
    rows = (
        Condition.objects.filter(
            assessment__case_id__in=cases.order_by().values("pk"),
            assessment__round=F("assessment__case__round"),
        )
        .select_related("assessment__system_operator__organisation")
        .order_by("assessment__system_operator_id", "pk")
    )
    conditions: dict[int, list[Condition]] = {}
    for condition in rows:
        conditions.setdefault(condition.assessment.case_id, []).append(condition)
    products = {c.product_id: c.product for c in by_product.values()}
    for product in Product.objects.filter(is_active=True).exclude(pk__in=list(products)):
        products[product.pk] = product
    states = []
    for product in sorted(products.values(), key=lambda p: p.code):
        case = by_product.get(product.pk)
        states.append(ProductState(product=product, case=case,
                                   conditions=conditions.get(case.pk, []) if case else []))
    return states

"""Temporary limits: the shared rules, and R7, the publication rule.

Publication (R7): the latest allowed publication time is, for every product the target is
prequalified for, the gate closure of the first market time unit the limit affects (a lead
time before it, or a day-ahead clock time: Product.gate_closure_for) minus 60 minutes; the
earliest across products binds. With
nothing prequalified, 1 hour before the start. A limit longer than GRIDPREQUAL_LIMIT_MAX_DAYS
is refused.
"""

from __future__ import annotations

import functools
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from limits.services.targets import Target, _affected_resources
from prequal.models import Case, Product

PUBLICATION_MARGIN = timedelta(hours=1)


def limit_max_days() -> int:
    return int(getattr(settings, "GRIDPREQUAL_LIMIT_MAX_DAYS", 7))


def local_time_label(at: datetime, *, time_zone: str) -> str:
    """`at` as the SO's local wall-clock time, e.g. "2026-03-29 08:15 CEST"."""
    return _time_label(at, time_zone)


@functools.lru_cache(maxsize=8192)
def _time_label(at: datetime, time_zone: str) -> str:
    # The same instant and zone always read the same (no language in it), and the activation
    # check names the same quarter-hours again and again (a forecast's reasons: a dozen a check,
    # 5 µs each to convert and format): kept per process.
    return at.astimezone(zoneinfo.ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M:%S %Z").replace(":00 ", " ")


# --- R7: the publication rule --------------------------------------------------------------


@dataclass
class Publication:
    """When a limit starting at `start` must be published at the latest, and why."""

    latest_allowed_at: datetime
    products: list[tuple[Product, datetime]]  # each prequalified product and its own latest time
    binding_product: Product | None  # None: nothing prequalified, the 1-hour fallback

    def explain(self, *, time_zone: str) -> str:
        when = local_time_label(self.latest_allowed_at, time_zone=time_zone)
        if self.binding_product is None:
            return _("%(when)s (1 hour before the start: the target is prequalified for no product)") % {
                "when": when
            }
        p = self.binding_product
        return _(
            "%(when)s (%(product)s: gate closure %(gate)s for its %(mtu)s-minute market time unit, "
            "minus 1 hour)"
        ) % {
            "when": when,
            "product": p.name,
            "gate": p.gate_closure_label(),
            "mtu": p.market_time_unit_minutes,
        }


def mtu_start(at: datetime, *, mtu_minutes: int) -> datetime:
    """The start of the market time unit containing `at` (MTUs are aligned on UTC)."""
    step = mtu_minutes * 60
    seconds = int(at.astimezone(UTC).timestamp())
    return datetime.fromtimestamp(seconds - seconds % step, tz=UTC)


def products_prequalified(*, target: Target, start: datetime, end: datetime) -> list[Product]:
    spu_ids, spg_ids = _affected_resources(target=target, start=start, end=end)
    if not spu_ids and not spg_ids:
        return []
    cases = Case.objects.prequalified(spu_ids=spu_ids, spg_ids=spg_ids)
    return list(
        Product.objects.filter(pk__in=cases.values("product_id")).select_related("procuring_so").order_by("code")
    )


def limit_publication(*, target: Target, start: datetime, end: datetime | None = None) -> Publication:
    """R7: the latest allowed publication time for a limit on `target` that first affects `start`."""
    end = end or start + timedelta(minutes=1)
    per_product = []
    for product in products_prequalified(target=target, start=start, end=end):
        first_mtu = mtu_start(start, mtu_minutes=product.market_time_unit_minutes)
        per_product.append((product, product.gate_closure_for(first_mtu) - PUBLICATION_MARGIN))
    if not per_product:
        return Publication(latest_allowed_at=start - PUBLICATION_MARGIN, products=[], binding_product=None)
    product, latest = min(per_product, key=lambda pair: (pair[1], pair[0].code))
    return Publication(latest_allowed_at=latest, products=per_product, binding_product=product)

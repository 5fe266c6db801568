"""What the demo shows of the activation register (SPEC R11): over the last 30 days and the
next 48 hours, the Nordic balancing platform's mFRR capacity awards and mFRR energy activations
on the units of one local DSO (Mälarenergi Elnät, Västerås), a local flexibility market's
awards on the same units for Vattenfall Eldistribution, one double activation refused (the
local market selling a battery the balancing market holds), and one area limit of Mälarenergi
whose MW the awards in it already reach (the activation check's headroom is nil there).

Idempotent: the records' external ids name their day, so loading again on the same day stores
nothing new (the same content is stored once) and on a later day adds the new days.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import Membership, User
from demo import sweden
from demo.market import PLATFORM_USERNAME
from limits.models import MarketPlatformClient, TargetKind, TemporaryLimit
from limits.services import limit_create, limit_preview, limit_target_find
from observability.models import SystemOperator
from prequal.models import Spu
from register.models import RegisterConflict
from register.services import RecordsRefused, records_ingest

LOCAL_DSO = "Mälarenergi Elnät"
FLEX_USERNAME = "platform-sthlmflex"
FLEX_PRODUCT = "sthlmflex-vattenfall"
CONFLICT_ID = "demo-flex-conflict"
LIMIT_REASON = "Demo: the Västerås 10 kV feeder can take no more mFRR this afternoon."
MILLI = Decimal("0.001")


@dataclass(frozen=True)
class Day:
    """One day's blocks (UTC): the balancing award 16–20, two activations from 17:00, the local
    market's award 07–09."""

    start: datetime

    def at(self, hours: float) -> datetime:
        return self.start + timedelta(hours=hours)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _share(spu: Spu, share: str) -> str:
    return str((spu.max_up_kw / 1000 * Decimal(share)).quantize(MILLI))


def _record(external_id: str, kind: str, spu: Spu, product: str, mw: str, start: datetime, end: datetime):
    return {"external_id": external_id, "kind": kind, "spu": spu.pk, "product": product, "direction": "up",
            "quantity_mw": mw, "start": _iso(start), "end": _iso(end)}


def _days(now: datetime) -> list[Day]:
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return [Day(today + timedelta(days=d)) for d in range(-31, 3)
            if today + timedelta(days=d + 1) > now - timedelta(days=30)
            and today + timedelta(days=d) < now + timedelta(hours=48)]


def _flex_platform(vattenfall: SystemOperator) -> User:
    user = User.objects.filter(username=FLEX_USERNAME).first()
    if user is None:  # an API client: it signs in with its token only
        user = User(username=FLEX_USERNAME)
        user.set_unusable_password()
        user.save()
    client, _ = MarketPlatformClient.objects.get_or_create(
        user=user, defaults={"name": "sthlmflex local flexibility market (demo)"}
    )
    client.system_operators.add(vattenfall)
    Token.objects.get_or_create(user=user)
    return user


def demo_register_load(*, now: datetime | None = None) -> dict:
    """Load the records, the conflict and the area limit; what exists is left as it is.
    Needs demo_market_load (the Nordic platform) first."""
    now = now or timezone.now()
    tso = SystemOperator.objects.get(organisation__name=sweden.TSO.name)
    vattenfall = SystemOperator.objects.get(organisation__name=sweden.VATTENFALL)
    local = SystemOperator.objects.select_related("organisation").get(organisation__name=LOCAL_DSO)
    units = list(Spu.objects.filter(connection_point__connecting_so=local, max_up_kw__gt=0, is_active=True)
                 .select_related("connection_point").order_by("code"))
    nordic, flex = User.objects.get(username=PLATFORM_USERNAME), _flex_platform(vattenfall)
    days = _days(now)
    balancing, local_market = [], []
    for day in days:
        tag = f"{day.start:%Y%m%d}"
        for spu in units:
            balancing.append(_record(f"demo-cap-{tag}-{spu.code}", "award", spu, "mfrr-capacity",
                                     _share(spu, "0.5"), day.at(16), day.at(20)))
            balancing += [_record(f"demo-act-{tag}-{spu.code}-{i}", "activation", spu, "mfrr-energy",
                                  _share(spu, "0.4"), day.at(17 + i / 4), day.at(17.25 + i / 4))
                          for i in range(2)]
            local_market.append(_record(f"demo-flex-{tag}-{spu.code}", "award", spu, FLEX_PRODUCT,
                                        _share(spu, "0.3"), day.at(7), day.at(9)))
    held = records_ingest(caller=nordic, system_operator=tso, records=balancing)
    flexed = records_ingest(caller=flex, system_operator=vattenfall, records=local_market)
    conflict = _conflict(flex, vattenfall, units, days)
    limit = _area_limit(local, units, days, now)
    return {"records": held.created + flexed.created, "units": len(units), "conflict": conflict,
            "limit": limit}


def _conflict(flex: User, vattenfall: SystemOperator, units: list[Spu], days: list[Day]):
    """The local market sells the first unit's capacity the balancing market holds tomorrow."""
    found = RegisterConflict.objects.filter(external_id=CONFLICT_ID).first()
    if found is not None or not units:
        return found
    spu, day = units[0], days[-2]
    try:
        records_ingest(caller=flex, system_operator=vattenfall, records=[
            _record(CONFLICT_ID, "award", spu, FLEX_PRODUCT, _share(spu, "0.7"), day.at(16), day.at(17))
        ])
    except RecordsRefused:
        return RegisterConflict.objects.filter(external_id=CONFLICT_ID).first()
    return None


def _area_limit(local: SystemOperator, units: list[Spu], days: list[Day], now: datetime):
    """An area limit over the units' points, up, in the first balancing block it may still be
    published for, of exactly the MW the awards hold there (no headroom left)."""
    found = TemporaryLimit.objects.filter(reason=LIMIT_REASON, end__gt=now).first()
    if found is not None or not units:
        return found
    engineer = Membership.objects.filter(
        organisation=local.organisation, role=Membership.Role.SO_ENGINEER
    ).select_related("user").order_by("pk").first().user
    lons = [spu.connection_point.longitude for spu in units]
    lats = [spu.connection_point.latitude for spu in units]
    box = {"type": "Polygon", "coordinates": [[
        [min(lons) - 0.02, min(lats) - 0.02], [max(lons) + 0.02, min(lats) - 0.02],
        [max(lons) + 0.02, max(lats) + 0.02], [min(lons) - 0.02, max(lats) + 0.02],
        [min(lons) - 0.02, min(lats) - 0.02],
    ]]}
    quantity = sum(Decimal(_share(spu, "0.5")) for spu in units)
    targets = limit_target_find(kind=TargetKind.AREA, area=json.dumps(box))
    for day in days[-2:]:
        kwargs = dict(user=engineer, system_operator=local, target_kind=TargetKind.AREA, **targets,
                      direction="up", quantity_mw=quantity, start=day.at(16), end=day.at(20),
                      reason=LIMIT_REASON)
        try:
            if limit_preview(now=now, **kwargs).publication.latest_allowed_at < now:
                continue
            return limit_create(now=now, **kwargs)
        except ValidationError:
            continue
    return None

"""The register tests' world (the `world` fixture in tests/register/conftest.py).

With the cast and its registry (tests/personas.py): FSP A's SPU A-1 (0.5 MW up, 0.5 MW down) at
the local DSO's point, FSP A's SPG GA holding A-1, FSP B's SPU B-1 at the other local DSO's
point. Two products: mFRR energy (15-minute MTU, procured by the TSO) and a local 60-minute
product (procured by the local DSO). Two market platforms: `nordic` registered for the TSO,
`flex` (a local flexibility market) for the local DSO.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from limits.models import MarketPlatformClient
from prequal.models import Product
from tests.factories import ProductFactory, UserFactory
from tests.personas import Cast

START = datetime(2030, 1, 15, 10, 0, tzinfo=UTC)


@dataclass
class World:
    cast: Cast
    registry: dict
    mfrr: Product
    local_product: Product
    nordic: object
    flex: object

    @property
    def spu(self):
        return self.registry["spu_a"]

    @property
    def spg(self):
        return self.registry["spg_a"]


def platform(name: str, *operators):
    user = UserFactory(username=name.lower().replace(" ", "_"))
    client = MarketPlatformClient.objects.create(user=user, name=name)
    client.system_operators.add(*operators)
    return user


def make_world(cast: Cast, registry: dict) -> World:
    mfrr = ProductFactory(
        code="mfrr-energy", name="mFRR energy", procuring_so=cast.tso, market_time_unit_minutes=15
    )
    local_product = ProductFactory(
        code="local-flex", name="Local flexibility", procuring_so=cast.local, market_time_unit_minutes=60,
        kind=Product.Kind.LOCAL,
    )
    return World(
        cast=cast, registry=registry, mfrr=mfrr, local_product=local_product,
        nordic=platform("Nordic platform", cast.tso), flex=platform("Local flex market", cast.local),
    )


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def rec(world: World, external_id: str = "r1", *, at: datetime = START, hours: float = 1, **overrides):
    """An award of 0.2 MW up on SPU A-1 for mFRR energy, an hour from START, as a platform sends it
    (`overrides` replace fields; None leaves one out)."""
    data = {
        "external_id": external_id,
        "kind": "award",
        "spu": world.spu.pk,
        "product": world.mfrr.code,
        "direction": "up",
        "quantity_mw": "0.2",
        "start": iso(at),
        "end": iso(at + timedelta(hours=hours)),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}

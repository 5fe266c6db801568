"""The register tests' world (the `world` fixture in tests/register/conftest.py).

With the cast and its registry (tests/personas.py): FSP A's SPU A-1 (0.5 MW up, 0.5 MW down) at
the local DSO's point, FSP A's SPG GA holding A-1, FSP B's SPU B-1 at the other local DSO's
point. Two products: mFRR energy (15-minute MTU, procured by the TSO) and a local 60-minute
product (procured by the local DSO). Two market platforms: `nordic` registered for the TSO,
`flex` (a local flexibility market) for the local DSO. `random_records` and `records_send`:
random awards and activations around a daylight-saving change, sent by both platforms.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import time_machine

from limits.models import MarketPlatformClient
from prequal.models import Product
from register.services import records_cancel, records_ingest
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


# Europe/Stockholm leaves summer time on 2030-10-27 at 01:00 UTC: the records run across it.
DST = datetime(2030, 10, 27, 1, 0, tzinfo=UTC)
DST_START = DST - timedelta(hours=20)  # 40 hours of records from here


def random_records(world, rng: random.Random, tag: str, n: int) -> list[dict]:
    """Awards up and down and activations up on SPUs A-1 and B-1 and group GA, both products
    (15- and 60-minute units), small MW (never a double activation), over 40 hours around DST."""
    out = []
    for i in range(n):
        hourly = rng.random() < 0.3
        product = world.local_product if hourly else world.mfrr
        unit = 60 if hourly else 15
        at = DST_START + timedelta(minutes=unit * rng.randrange(0, 40 * 60 // unit))
        kind = rng.choice(("award", "activation"))
        where = rng.random()
        resource = ({"spg": world.spg.pk, "spu": None} if where < 0.2
                    else {"spu": world.registry["spu_b"].pk} if where < 0.5 and not hourly else {})
        out.append(rec(
            world, f"{tag}-{i}", at=at, hours=unit * rng.randint(1, 8) / 60, kind=kind, product=product.code,
            direction="up" if kind == "activation" else rng.choice(("up", "down")),
            quantity_mw=f"{rng.randint(1, 9) / 1000:.3f}", **resource,
        ))
    return out


def records_send(world, records: list[dict], *, cancel: bool = False) -> None:
    with time_machine.travel(DST_START - timedelta(hours=3), tick=False):
        for caller, so, code in ((world.nordic, world.cast.tso, world.mfrr.code),
                                 (world.flex, world.cast.local, world.local_product.code)):
            mine = [r for r in records if r["product"] == code]
            if mine and cancel:
                ids = [r["external_id"] for r in mine]
                records_cancel(caller=caller, system_operator=so, external_ids=ids)
            elif mine:
                records_ingest(caller=caller, system_operator=so, records=mine)

"""The small tables every shape starts from: the operator hierarchy, FSPs, products, people."""

from __future__ import annotations

from dataclasses import dataclass, field

from shapes.rows import eic_make

TSO_EIC = "10X1001A1001A418"  # Svenska kraftnät's control area (SE)
REGIONAL_NAMES = ["Norr", "Mitt", "Väst", "Öst", "Syd"]


@dataclass
class Grid:
    """The operators made: the TSO, the regional DSOs below it, the local DSOs below those."""

    tso: object
    regionals: list = field(default_factory=list)
    locals: list = field(default_factory=list)

    @property
    def all(self) -> list:
        return [self.tso, *self.regionals, *self.locals]


def grid_create(*, regionals: int = 5, locals_: int = 160, upstream=None) -> Grid:
    """1 TSO, `regionals` regional DSOs, `locals_` local DSOs (valid EIC codes), in that id order.

    `upstream(k)` gives local DSO k's regional DSO (an index); default k % regionals.
    """
    from accounts.models import Organisation
    from observability.models import SystemOperator

    upstream = upstream or (lambda k: k % regionals)
    names = (
        ["Svenska kraftnät"]
        + [f"Regionnät {REGIONAL_NAMES[k % 5]}{'' if k < 5 else f' {k}'} AB" for k in range(regionals)]
        + [f"Lokalnät {k + 1:03d} AB" for k in range(locals_)]
    )
    eics = [TSO_EIC] + [eic_make("44X", 100 + k) for k in range(regionals)]
    eics += [eic_make("44X", 1000 + k) for k in range(locals_)]
    orgs = Organisation.objects.bulk_create(
        [Organisation(name=n, kind="system_operator", eic_code=e) for n, e in zip(names, eics, strict=True)]
    )
    tso = SystemOperator.objects.create(organisation=orgs[0], tier="tso")
    made = SystemOperator.objects.bulk_create(
        [SystemOperator(organisation=o, tier="regional_dso", upstream=tso) for o in orgs[1 : 1 + regionals]]
    )
    grid = Grid(tso=tso, regionals=made)
    grid.locals = SystemOperator.objects.bulk_create(
        [
            SystemOperator(organisation=o, tier="local_dso", upstream=made[upstream(k)])
            for k, o in enumerate(orgs[1 + regionals :])
        ]
    )
    return grid


def fsps_create(n: int) -> list:
    from accounts.models import Organisation
    from prequal.models import Fsp

    orgs = Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"Flexaggregator {k + 1:03d} AB", kind="fsp", eic_code=eic_make("11X", 5000 + k)
            )
            for k in range(n)
        ]
    )
    return Fsp.objects.bulk_create([Fsp(organisation=o) for o in orgs])


# code, name, kind, directions, MTU, gate closure
PRODUCTS = (
    ("fcr-n", "FCR-N", "balancing", "both", 60, 60),
    ("fcr-d-up", "FCR-D up", "balancing", "up", 60, 60),
    ("afrr", "aFRR", "balancing", "both", 15, 45),
    ("mfrr", "mFRR", "balancing", "both", 15, 45),
)
MFRR_ENERGY = ("mfrr-energy", "mFRR energy", "balancing", "both", 15, 45)


def products_create(*, procuring_so, specs=PRODUCTS) -> list:
    from prequal.models import Product

    return [
        Product.objects.create(
            code=code,
            name=name,
            kind=kind,
            procuring_so=procuring_so,
            directions=directions,
            market_time_unit_minutes=mtu,
            gate_closure_minutes=gate,
        )
        for code, name, kind, directions, mtu, gate in specs
    ]


def member_create(*, username: str, organisation, role: str, **fields):
    """A user (no usable password) and their membership of `organisation`."""
    from accounts.models import Membership, User

    user = User(username=username, **fields)
    user.set_unusable_password()
    user.save()
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def regulator_create():
    from accounts.models import Organisation

    return Organisation.objects.create(name="Energimarknadsinspektionen", kind="regulator")

"""The cast every test can use (STYLE: persona-based tests).

An engineer and a viewer at a local DSO, engineers at the regional DSO and the TSO,
two FSPs with a user each, an NRA analyst, an outsider with no membership, and an admin.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Membership, Organisation, User
from observability.models import SystemOperator
from prequal.models import Fsp, Spu
from tests.factories import (
    ConnectionPointFactory,
    FspFactory,
    MembershipFactory,
    OrganisationFactory,
    SpgFactory,
    SpgMembershipFactory,
    SpuFactory,
    SystemOperatorFactory,
    UserFactory,
)


@dataclass
class Cast:
    tso: SystemOperator
    regional: SystemOperator
    local: SystemOperator
    other_local: SystemOperator
    fsp_a: Fsp
    fsp_b: Fsp
    local_engineer: User
    local_viewer: User
    other_local_engineer: User
    regional_engineer: User
    tso_engineer: User
    fsp_a_user: User
    fsp_b_user: User
    nra_analyst: User
    outsider: User
    admin: User


def make_cast() -> Cast:
    tso = SystemOperatorFactory(
        organisation__name="Svenska kraftnät", tier=SystemOperator.Tier.TSO
    )
    regional = SystemOperatorFactory(
        organisation__name="Regional DSO", tier=SystemOperator.Tier.REGIONAL_DSO, upstream=tso
    )
    local = SystemOperatorFactory(
        organisation__name="Local DSO", tier=SystemOperator.Tier.LOCAL_DSO, upstream=regional
    )
    other_local = SystemOperatorFactory(
        organisation__name="Other local DSO", tier=SystemOperator.Tier.LOCAL_DSO, upstream=regional
    )
    fsp_a = FspFactory(organisation__name="FSP A")
    fsp_b = FspFactory(organisation__name="FSP B")
    nra = OrganisationFactory(name="Ei", kind=Organisation.Kind.REGULATOR, eic_code=None)

    def member(username: str, organisation: Organisation, role: str) -> User:
        user = UserFactory(username=username)
        MembershipFactory(user=user, organisation=organisation, role=role)
        return user

    R = Membership.Role
    return Cast(
        tso=tso,
        regional=regional,
        local=local,
        other_local=other_local,
        fsp_a=fsp_a,
        fsp_b=fsp_b,
        local_engineer=member("local_engineer", local.organisation, R.SO_ENGINEER),
        local_viewer=member("local_viewer", local.organisation, R.SO_VIEWER),
        other_local_engineer=member("other_engineer", other_local.organisation, R.SO_ENGINEER),
        regional_engineer=member("regional_engineer", regional.organisation, R.SO_ENGINEER),
        tso_engineer=member("tso_engineer", tso.organisation, R.SO_ENGINEER),
        fsp_a_user=member("fsp_a_user", fsp_a.organisation, R.FSP_USER),
        fsp_b_user=member("fsp_b_user", fsp_b.organisation, R.FSP_USER),
        nra_analyst=member("nra_analyst", nra, R.NRA_ANALYST),
        outsider=UserFactory(username="outsider"),
        admin=UserFactory(username="admin", is_staff=True, is_superuser=True),
    )


def make_registry(cast: Cast) -> dict:
    """The cast's resources (the `registry` fixture): FSP A's SPU "A-1" and SPG "GA" at the local
    DSO's point `cp_a`, FSP A's membership of A-1 in GA; FSP B's SPU "B-1" at the other local DSO's
    point `cp_b` and its SPG "GB" without members. All in SE3."""
    cp_a = ConnectionPointFactory(connecting_so=cast.local, bidding_zone="SE3")
    cp_b = ConnectionPointFactory(connecting_so=cast.other_local, bidding_zone="SE3")
    spu_a = SpuFactory(fsp=cast.fsp_a, connection_point=cp_a, code="A-1", name="Alpha battery")
    spu_b = SpuFactory(
        fsp=cast.fsp_b,
        connection_point=cp_b,
        code="B-1",
        name="Beta pump",
        technology=Spu.Technology.HEAT_PUMP,
    )
    spg_a = SpgFactory(fsp=cast.fsp_a, code="GA", bidding_zone="SE3")
    spg_b = SpgFactory(fsp=cast.fsp_b, code="GB", bidding_zone="SE3")
    membership_a = SpgMembershipFactory(spg=spg_a, spu=spu_a)
    return {
        "cp_a": cp_a, "cp_b": cp_b, "spu_a": spu_a, "spu_b": spu_b,
        "spg_a": spg_a, "spg_b": spg_b, "membership_a": membership_a,
    }


def login(client, user):
    """`client` logged in as `user` (a Django test client), for chaining: login(client, u).get(...)."""
    client.force_login(user)
    return client

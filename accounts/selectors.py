"""Who a user is, organisation-wise. Read by every scoped selector."""

from __future__ import annotations

from dataclasses import dataclass, field

from accounts.models import Membership


@dataclass(frozen=True)
class Roles:
    so_engineer_org_ids: frozenset[int] = field(default_factory=frozenset)
    so_viewer_org_ids: frozenset[int] = field(default_factory=frozenset)
    fsp_org_ids: frozenset[int] = field(default_factory=frozenset)
    is_nra: bool = False
    is_admin: bool = False

    @property
    def so_org_ids(self) -> frozenset[int]:
        return self.so_engineer_org_ids | self.so_viewer_org_ids

    @property
    def is_so(self) -> bool:
        return bool(self.so_org_ids)

    @property
    def is_so_engineer(self) -> bool:
        return bool(self.so_engineer_org_ids)

    @property
    def is_fsp(self) -> bool:
        return bool(self.fsp_org_ids)

    @property
    def sees_everything(self) -> bool:
        """NRA analysts and platform admins read everything (SPEC §4)."""
        return self.is_nra or self.is_admin


def user_roles(*, user) -> Roles:
    """The user's roles, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return Roles()
    cached = getattr(user, "_gridprequal_roles", None)
    if cached is not None:
        return cached
    eng, view, fsp = set(), set(), set()
    nra = False
    for org_id, role in Membership.objects.filter(user=user).values_list("organisation_id", "role"):
        if role == Membership.Role.SO_ENGINEER:
            eng.add(org_id)
        elif role == Membership.Role.SO_VIEWER:
            view.add(org_id)
        elif role == Membership.Role.FSP_USER:
            fsp.add(org_id)
        elif role == Membership.Role.NRA_ANALYST:
            nra = True
    roles = Roles(
        so_engineer_org_ids=frozenset(eng),
        so_viewer_org_ids=frozenset(view),
        fsp_org_ids=frozenset(fsp),
        is_nra=nra,
        is_admin=bool(user.is_superuser),
    )
    user._gridprequal_roles = roles
    return roles

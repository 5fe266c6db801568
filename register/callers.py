"""Who writes and reads the register as which system operator (SPEC §4, R11).

The register scopes its callers as the activation check does (limits.activation.access): a
market platform client acts for the operators it is registered for, an SO engineer or viewer for
its own operator(s), an NRA analyst for all, an FSP user for its own organisations' resources.
That rule lives in limits, which sits above the register (limits will read the register for
headroom), so limits hands its resolver in here from LimitsConfig.ready(), the way prequal hands
its point readers to observability. Without it (limits not installed) nobody is a caller.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from accounts.selectors import user_roles
from observability.models import SystemOperator

PLATFORM, SO, NRA, FSP = "platform", "so", "nra", "fsp"


class Caller(Protocol):
    """limits.activation.access.ActivationCaller: `kind` (platform, so, nra, fsp), the operators
    it acts for (`so_ids`, None: any) and an FSP's organisations (`fsp_org_ids`)."""

    kind: str
    so_ids: frozenset[int] | None
    fsp_org_ids: frozenset[int] | None


_RESOLVER: list[Callable[..., Caller | None]] = []


def caller_resolver_set(resolver: Callable[..., Caller | None]) -> None:
    """Called once by LimitsConfig.ready() with limits.activation.access.activation_caller."""
    _RESOLVER[:] = [resolver]


def register_caller(*, user) -> Caller | None:
    """Who this user is to the register, or None (anonymous, no role)."""
    if not _RESOLVER:
        return None
    return _RESOLVER[0](user=user)


def register_may_write(*, user, system_operator: SystemOperator) -> bool:
    """A market platform client writes for the operators it is registered for; an SO engineer
    for its own operator. Viewers, FSPs, the NRA and everyone else write nothing."""
    caller = register_caller(user=user)
    if caller is None:
        return False
    if caller.kind == PLATFORM:
        return system_operator.pk in (caller.so_ids or ())
    return system_operator.organisation_id in user_roles(user=user).so_engineer_org_ids

"""Scoped reads of operators and connection points."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable

from django.db.models import Exists, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.selectors import Roles, user_roles
from observability.models import ConnectionPoint, ConnectionPointReader, SystemOperator


def system_operator_list(*, tier: str | None = None) -> QuerySet[SystemOperator]:
    """Every operator; the list of grid operators is public to logged-in users."""
    qs = SystemOperator.objects.select_related("organisation", "upstream__organisation")
    if tier:
        qs = qs.filter(tier=tier)
    return qs


def user_operator_ids(*, user) -> frozenset[int]:
    """The ids of the operators the user works for (engineer or viewer); empty for others.

    Cached on the user object for the request, as accounts.selectors.user_roles caches the
    roles it is read from: the scopes of one page ask for it several times, one query at most.
    """
    roles = user_roles(user=user)
    if not roles.is_so:
        return frozenset()
    cached = getattr(user, "_gridprequal_operator_ids", None)
    if cached is not None and cached[0] == roles.so_org_ids:
        return cached[1]
    ids = frozenset(
        SystemOperator.objects.filter(organisation_id__in=roles.so_org_ids).values_list("pk", flat=True)
    )
    user._gridprequal_operator_ids = (roles.so_org_ids, ids)
    return ids


def system_operators_for_user(*, user) -> QuerySet[SystemOperator]:
    """The operators the user works for (engineer or viewer)."""
    roles = user_roles(user=user)
    return SystemOperator.objects.filter(organisation_id__in=roles.so_org_ids).select_related(
        "organisation"
    )


# Readers of connection points added by the apps above observability, each a function of the
# user's Roles returning a filter on ConnectionPoint (or None). prequal adds one in
# PrequalConfig.ready(): an FSP sees the points of its own SPUs. Read by the selector below.
_POINT_READERS: list[Callable[[Roles], Exists | Q | None]] = []


def connection_point_readers_add(reader: Callable[[Roles], Exists | Q | None]) -> None:
    """Let an app above observability widen who sees a point (from its AppConfig.ready)."""
    if reader not in _POINT_READERS:
        _POINT_READERS.append(reader)


def connection_point_list_for_user(*, user) -> QuerySet[ConnectionPoint]:
    """The points the user reads, in GSRN order. SOs: those they connect and those of the units
    they read (SPEC §4), from their reader rows (observability.readers); NRA all; FSPs the points
    of their own SPUs (prequal's reader). A user of one SO pages and counts off its rows."""
    roles = user_roles(user=user)
    qs = ConnectionPoint.objects.select_related("connecting_so__organisation")
    if roles.sees_everything:
        return qs
    so_ids = sorted(user_operator_ids(user=user))
    added = [f for f in (reader(roles) for reader in _POINT_READERS) if f is not None]
    if len(so_ids) == 1 and not added:
        return qs.read_by(system_operator_id=so_ids[0])
    scope = Q(pk__in=[])
    if so_ids:
        scope |= Q(pk__in=ConnectionPointReader.objects.filter(system_operator_id__in=so_ids)
                   .values("connection_point_id"))
    return qs.filter(functools.reduce(operator.or_, added, scope)).order_by("gsrn")


def connection_point_get_for_user(*, user, pk: int) -> ConnectionPoint:
    return get_object_or_404(connection_point_list_for_user(user=user), pk=pk)


def connection_point_get_by_gsrn(*, gsrn: str) -> ConnectionPoint | None:
    """The registered point with this GSRN, for an FSP attaching a unit to it.

    Not scoped: an FSP registers units at metering points it knows by GSRN (read by the
    SPU API when a unit moves to another point); what the point holds stays scoped.
    """
    return ConnectionPoint.objects.select_related("connecting_so__organisation").filter(gsrn=gsrn).first()


# --- Observability areas -------------------------------------------------------------------------


def area_list_for_user(
    *, user, system_operator_id: int | None = None, tier: str | None = None,
    current: bool = False, at=None,
) -> QuerySet:
    """Area versions. Every logged-in user may read every operator's areas (the map is shared)."""
    from observability.models import ObservabilityArea

    if not getattr(user, "is_authenticated", False):
        return ObservabilityArea.objects.none()
    qs = ObservabilityArea.objects.select_related("system_operator__organisation", "uploaded_by")
    if current:
        qs = qs.current(at=at)
    if system_operator_id:
        qs = qs.filter(system_operator_id=system_operator_id)
    if tier:
        qs = qs.filter(system_operator__tier=tier)
    return qs.order_by("system_operator__organisation__name", "-valid_from", "-id")


def area_get_for_user(*, user, pk: int):
    return get_object_or_404(area_list_for_user(user=user), pk=pk)


def area_can_upload(*, user, system_operator: SystemOperator) -> bool:
    """Only engineers of the operator itself upload its observability area."""
    return system_operator.organisation_id in user_roles(user=user).so_engineer_org_ids


def area_upload_operators_for_user(*, user) -> QuerySet[SystemOperator]:
    """The operators whose area this user may upload (their engineer memberships)."""
    roles = user_roles(user=user)
    return SystemOperator.objects.filter(organisation_id__in=roles.so_engineer_org_ids).select_related(
        "organisation"
    )

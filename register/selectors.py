"""Scoped reads of the activation register (SPEC §4, R11). Outsiders get 404, never 403.

An FSP reads its own resources' records; an SO the records of the resources it reads in
prequal (those it connects and those in the cases it assesses: prequal.selectors.resources)
and the records sent for it; a market platform client the records sent for the operators it is
registered for; the NRA everything.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.selectors import user_roles
from observability.selectors import user_operator_ids
from prequal.models import Spg, Spu
from prequal.selectors.resources import spg_list_for_user, spu_list_for_user
from register.callers import PLATFORM, register_caller
from register.models import RecordRevision, RegisterConflict, RegisterRecord
from register.services.parsing import max_period

# The window of a resource's page: what it held lately and what it will hold soon.
PAGE_PAST, PAGE_AHEAD, PAGE_ROWS = timedelta(days=30), timedelta(hours=48), 200


def record_list_for_user(*, user) -> QuerySet[RecordRevision]:
    """The current revision of every record the user may read, newest period first."""
    qs = RecordRevision.objects.filter(is_current=True).select_related(
        "record__system_operator__organisation", "record__sender", "product", "spu", "spg"
    ).order_by("-period_start", "-pk")
    caller = register_caller(user=user)
    if caller is None:
        return qs.none()
    if caller.kind == PLATFORM:
        return qs.filter(record__system_operator_id__in=sorted(caller.so_ids or ()))
    roles = user_roles(user=user)
    if roles.sees_everything:
        return qs
    scope = Q(spu_id__in=spu_list_for_user(user=user).values("pk")) | Q(
        spg_id__in=spg_list_for_user(user=user).values("pk")
    )
    if roles.is_so:
        scope |= Q(record__system_operator_id__in=sorted(user_operator_ids(user=user)))
    return qs.filter(scope)


def record_get_for_user(*, user, pk: int) -> RegisterRecord:
    """The record (by its id) with `current` (its current revision), or 404."""
    current = get_object_or_404(record_list_for_user(user=user), record_id=pk)
    record = current.record
    record.current = current
    return record


def record_revisions(*, record: RegisterRecord) -> QuerySet[RecordRevision]:
    """Every revision of the record, oldest first, with the batch that wrote it (who, when)."""
    return record.revisions.select_related("batch__actor", "product").order_by("revision")


def resource_register_for_user(*, user, resource: Spu | Spg, now: datetime) -> dict:
    """The section of an SPU's or SPG's page: the awards and activations of the last 30 days and
    the next 48 hours the user may read (at most PAGE_ROWS, soonest first), and the double
    activations refused on the resource in those 30 days. The page itself is scoped by prequal."""
    on = {"spu": resource} if isinstance(resource, Spu) else {"spg": resource}
    since, until = now - PAGE_PAST, now + PAGE_AHEAD
    records = record_list_for_user(user=user).filter(
        period_end__gt=since, period_start__lt=until, period_start__gte=since - max_period(), **on
    ).order_by("period_start", "pk")[:PAGE_ROWS]
    conflicts = RegisterConflict.objects.filter(at__gte=since, **on).select_related(
        "system_operator__organisation", "holder_system_operator__organisation", "product", "holder_product"
    )[:50]
    return {"records": list(records), "conflicts": list(conflicts), "limit": PAGE_ROWS}

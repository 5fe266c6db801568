"""Scoped reads of the activation register (SPEC §4, R11). Outsiders get 404, never 403.

An FSP reads its own resources' records; an SO the records of the resources it reads in
prequal (those it connects and those in the cases it assesses: prequal.selectors.resources)
and the records sent for it; a market platform client the records sent for the operators it is
registered for; the NRA everything.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.selectors import user_roles
from observability.models import SystemOperator
from prequal.selectors.resources import spg_list_for_user, spu_list_for_user
from register.callers import PLATFORM, register_caller
from register.models import RecordRevision, RegisterRecord


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
        own = SystemOperator.objects.filter(organisation_id__in=roles.so_org_ids).values("pk")
        scope |= Q(record__system_operator_id__in=own)
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

"""Reserve what the activation check allows (SPEC R11): check-then-award, atomically.

A market platform (or an SO engineer) asks the check with `reserve` and its own external id:
in one transaction, under the advisory locks of the point and area limits that apply
(limits.activation.headroom), the check runs and what it allows, min(requested, largest
allowed), is registered as an award of the caller for that operator (register.services,
idempotent by the external id; its batch, action "reserve", is the audit row naming who). A
second reservation under the same limit waits for the lock and then reads the first's award:
two platforms asking at once for the last 2 MW of an area cannot both get them. Under no point
or area limit, the register's own lock on the resource decides (double activation).

Red: nothing is reserved. A double activation is red with the register's reason, its conflict
kept as for any refused batch: the check finds it first (limits.activation.double, under the
resource's lock, in this transaction), the register's own check stays behind it. Bad input for the
register (a period not aligned to the product's market time unit, the same external id with
other content) is refused with the message on the field concerned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from common.exceptions import ApplicationError
from limits.activation.access import ActivationCaller
from limits.activation.check import activation_check
from limits.activation.double import Asked
from limits.activation.headroom import Exclude
from limits.activation.verdict import RED, Verdict
from observability.models import SystemOperator
from prequal.models import Direction, Product, Spg, Spu
from register.callers import register_may_write
from register.models import RecordKind, RegisterBatch
from register.services import RecordsRefused, records_ingest
from register.services.writes import conflicts_record

# The register's fields a refusal may name, as the check's input calls them.
_FIELDS = {"start": "start", "end": "end", "quantity_mw": "quantity_mw", "external_id": "external_id"}


@dataclass(frozen=True)
class Reservation:
    """The award registered for a reservation: `created` False when the same reservation was
    registered already (the same external id and content: stored once)."""

    external_id: str
    quantity_mw: Decimal
    created: bool
    batch_id: int


@transaction.atomic
def activation_reserve(
    *, user, caller: ActivationCaller, system_operator: SystemOperator, resource: Spu | Spg,
    product: Product, direction: str, quantity_mw: Decimal, start: datetime, end: datetime, external_id: str,
) -> tuple[Verdict, Reservation | None]:
    """The check's verdict and the reservation (None when red). PermissionDenied when `user`
    may not write to the register for `system_operator`; ValidationError for bad input."""
    if direction == Direction.BOTH:
        raise ValidationError({"direction": [_("Reserve one direction at a time: up or down.")]})
    if not register_may_write(user=user, system_operator=system_operator):
        raise PermissionDenied(_("You may not write to the register for this system operator."))
    verdict = activation_check(
        system_operator=system_operator, resource=resource, product=product, direction=direction,
        quantity_mw=quantity_mw, start=start, end=end, caller=caller, lock=True,
        exclude=Exclude(record=(user.pk, system_operator.pk, external_id)),
        asked=Asked(sender_id=user.pk, system_operator_id=system_operator.pk, kind=RecordKind.AWARD,
                    external_id=external_id),
    )
    if verdict.double is not None:  # kept as a conflict, as the register keeps a refused batch's
        conflicts_record(actor=user, system_operator=system_operator, refusals=[verdict.double])
        return verdict, None
    reserved = min(verdict.requested_quantity_mw, verdict.max_quantity_mw)
    if verdict.color == RED or reserved <= 0:
        return verdict, None
    record = {
        "external_id": external_id, "kind": "award",
        ("spu" if isinstance(resource, Spu) else "spg"): resource.pk, "product": product.code,
        "direction": direction, "quantity_mw": str(reserved), "start": start.isoformat(),
        "end": end.isoformat(),
    }
    try:
        result = records_ingest(
            caller=user, system_operator=system_operator, records=[record],
            action=RegisterBatch.Action.RESERVE,
        )
    except RecordsRefused as exc:
        if exc.refusals:  # a double activation: red, nothing reserved (the conflict is kept)
            verdict.color = RED
            verdict.max_quantity_mw = Decimal(0)
            verdict.reasons = [r.message for r in exc.refusals] + verdict.reasons
            return verdict, None
        raise _field_errors(exc) from exc
    return verdict, Reservation(
        external_id=external_id, quantity_mw=reserved, created=result.created == 1, batch_id=result.batch.pk
    )


def _field_errors(exc: RecordsRefused) -> ApplicationError | ValidationError:
    """The register's refusal of the one record, on the check's fields (409 for an external id
    registered already with other content)."""
    errors: dict[str, list[str]] = {}
    for field, messages in exc.errors.get(0, {}).items():
        errors.setdefault(_FIELDS.get(field, "non_field_errors"), []).extend(messages)
    if exc.status == 409:
        return ApplicationError(exc.message, extra=errors)  # the API answers 409
    return ValidationError(errors)

"""Recording awards and activations (SPEC R11): a batch of up to 10,000 records from a market
platform (or an SO engineer), all or nothing, idempotent by the sender's own ids.

Every record is checked on its own (register.services.parsing), then against the data: the
product and the resource exist, the period is aligned to the product's market time unit, the
MW fit the resource's capacity, the external id is new, or the same content again (stored once),
or a revision (`revise`). Every bad record is reported with its index and field, and nothing is
stored. Then, under a lock on the resources, no resource may come to hold more than it can in a
market time unit (register.services.holdings), nor take the sum held under a limit on a
connection point or an area over it (register.sum_guard, under the limits' locks taken first):
such a record is refused as a conflict (409).
A constant number of queries per batch, whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.exceptions import ApplicationError
from observability.models import SystemOperator
from prequal.models import Direction, Product
from register.callers import register_may_write
from register.models import RecordStatus, RegisterBatch
from register.services.holdings import Holding, holdings_conflicts, holdings_held, resources_lock
from register.services.lookups import Existing, Resource, existing_for_update, products_by_code, resources_for
from register.services.parsing import (
    MAX_BATCH,
    RecordInput,
    direction_text,
    max_period,
    mw_text,
    record_parse,
)
from register.services.writes import Revision, batch_create, conflicts_record, revisions_write
from register.sum_guard import sum_guard_lock


class RecordsRefused(ApplicationError):
    """Records of a batch refused; nothing was stored. `errors`: {index: {field: [messages]}};
    `status`: 409 when every refusal is a conflict, else 400 (bad input)."""

    def __init__(
        self, errors: dict[int, dict[str, list[str]]], *, conflicts: set[int], refusals: list | None = None
    ) -> None:
        count = len(errors)
        message = ngettext(
            "%(count)s record refused; nothing was stored.", "%(count)s records refused; nothing was stored.",
            count,
        ) % {"count": count}
        super().__init__(message, extra={"records": {str(i): errors[i] for i in sorted(errors)}})
        self.errors = errors
        self.refusals = refusals or []  # the double activations (holdings.Refusal), kept by records_ingest
        self.status = 409 if conflicts >= set(errors) else 400


class Problems:
    """Every bad record of a batch, by index and field (which of them are conflicts)."""

    def __init__(self) -> None:
        self.errors: dict[int, dict[str, list[str]]] = {}
        self.conflicts: set[int] = set()

    def add(self, index: int, field: str, message: str, *, conflict: bool = False) -> None:
        self.errors.setdefault(index, {}).setdefault(field, []).append(message)
        if conflict:
            self.conflicts.add(index)

    def raise_any(self) -> None:
        if self.errors:
            raise RecordsRefused(self.errors, conflicts=self.conflicts)


@dataclass
class IngestResult:
    batch: RegisterBatch
    created: int
    revised: int
    cancelled: int
    unchanged: int


def writer_check(*, caller, system_operator: SystemOperator) -> None:
    if not register_may_write(user=caller, system_operator=system_operator):
        raise PermissionDenied(_("You may not write to the register for this system operator."))


def batch_check(items, *, field: str = "records") -> None:
    if not isinstance(items, list) or not items:
        raise ValidationError({field: [_("Send a list of at least one record.")]})
    if len(items) > MAX_BATCH:
        message = _("At most %(max)s records in one batch; this one has %(count)s.")
        raise ValidationError({field: [message % {"max": MAX_BATCH, "count": len(items)}]})


def records_ingest(
    *, caller, system_operator: SystemOperator, records: list, revise_only: bool = False,
    action: str = RegisterBatch.Action.INGEST,
) -> IngestResult:
    """Record the batch for `system_operator`, sent by `caller` (a user: the market platform
    client's, or an SO engineer). `revise_only`: every record must revise one already held.

    Raises PermissionDenied, ValidationError (the batch's shape) or RecordsRefused. A batch
    refused for double activations stores nothing but the conflicts (RegisterConflict), after
    its own transaction was rolled back: the FSP and the operators see them on the resource.
    `action`: what the batch's audit row says it was (a reservation: limits.activation.reserve).
    """
    try:
        return _ingest(
            caller=caller, system_operator=system_operator, records=records, revise_only=revise_only,
            action=action,
        )
    except RecordsRefused as exc:
        if exc.refusals:
            conflicts_record(actor=caller, system_operator=system_operator, refusals=exc.refusals)
        raise


@transaction.atomic
def _ingest(
    *, caller, system_operator: SystemOperator, records: list, revise_only: bool, action: str
) -> IngestResult:
    writer_check(caller=caller, system_operator=system_operator)
    batch_check(records)
    problems = Problems()
    parsed = _parse(records, problems)
    resolved = _resolve(parsed, problems)
    # The point and area limits' locks first, then the resources' (the order a reservation takes).
    sum_check = None if problems.errors else sum_guard_lock(
        records=[(r.index, (res.kind, res.id), r.start, r.end) for r, res, _p in resolved]
    )
    resources_lock(
        spu_ids=[res.id for _r, res, _p in resolved if res.kind == "spu"],
        spg_ids=[res.id for _r, res, _p in resolved if res.kind == "spg"],
    )
    existing = existing_for_update(
        sender_id=caller.pk, system_operator_id=system_operator.pk,
        external_ids=[r.external_id for r in parsed],
    )
    writes, unchanged = _plan(resolved, existing, problems, revise_only=revise_only)
    problems.raise_any()
    new = _new_holdings(writes, caller=caller, system_operator=system_operator)
    _double_activation_check(writes, new)
    _limits_check(sum_check, writes, new)
    counts = {"received": len(records), "created": sum(1 for _w, old in writes if old is None),
              "unchanged": unchanged}
    counts["revised"] = len(writes) - counts["created"]
    batch = batch_create(actor=caller, system_operator=system_operator, action=action, counts=counts)
    revisions_write(batch=batch, revisions=[
        Revision(record.external_id, old.record_id if old else None, old.revision + 1 if old else 1,
                 RecordStatus.ACTIVE, record.content(resource_id=res.id, product_id=product.pk))
        for (record, res, product), old in writes
    ])
    return IngestResult(batch=batch, created=counts["created"], revised=counts["revised"], cancelled=0,
                        unchanged=unchanged)


def _parse(records: list, problems: Problems) -> list[RecordInput]:
    parsed, seen, longest = [], {}, max_period()
    for index, data in enumerate(records):
        record, errors = record_parse(index, data, longest=longest)
        for field, messages in errors.items():
            for message in messages:
                problems.add(index, field, message)
        if record is None:
            continue
        if record.external_id in seen:
            message = _("The batch holds this external id already, at index %(index)s.")
            problems.add(index, "external_id", message % {"index": seen[record.external_id]})
            continue
        seen[record.external_id] = index
        parsed.append(record)
    return parsed


def _resolve(parsed: list[RecordInput], problems: Problems) -> list[tuple[RecordInput, Resource, Product]]:
    """Each record with its resource and product, if both exist and the record fits them."""
    products = products_by_code({r.product for r in parsed})
    resources = resources_for(parsed)
    resolved = []
    for record in parsed:
        product, resource = products.get(record.product), resources.get(record.resource)
        if product is None:
            problems.add(record.index, "product", _("No active product with this code."))
        if resource is None:
            kind, ref = record.resource
            field = kind if isinstance(ref, int) else f"{kind}_code"
            problems.add(record.index, field, _("No active %(kind)s with this identifier.")
                         % {"kind": record.resource[0].upper()})
        if product is None or resource is None:
            continue
        if _fits(record, resource, product, problems):
            resolved.append((record, resource, product))
    return resolved


def _fits(record: RecordInput, resource: Resource, product: Product, problems: Problems) -> bool:
    ok = True
    minutes = product.market_time_unit_minutes
    for field in ("start", "end"):
        moment: datetime = getattr(record, field)
        if int(moment.timestamp()) % (minutes * 60) or moment.microsecond:
            ok = False
            problems.add(record.index, field, _(
                "Not aligned to the market time unit of %(product)s: %(minutes)s minutes, counted in UTC."
            ) % {"product": product.code, "minutes": minutes})
    up, down = resource.capacity(start=record.start, end=record.end)
    directions = (Direction.UP, Direction.DOWN) if record.direction == Direction.BOTH else (record.direction,)
    for direction in directions:
        capacity = up if direction == Direction.UP else down
        if record.quantity_mw > capacity:
            ok = False
            message = _("%(resource)s offers at most %(capacity)s MW %(direction)s.")
            problems.add(record.index, "quantity_mw", message % {
                "resource": resource.label, "capacity": mw_text(capacity),
                "direction": direction_text(direction),
            })
    return ok


def _plan(resolved, existing: dict[str, Existing], problems: Problems, *, revise_only: bool):
    """The records to write (with the revision they follow, None for a new one) and how many
    came unchanged (the same content again: stored once)."""
    writes, unchanged = [], 0
    for record, resource, product in resolved:
        old = existing.get(record.external_id)
        revise = record.revise or revise_only
        if old is None:
            if revise:
                problems.add(record.index, "external_id", _("No record with this external id to revise."))
            else:
                writes.append(((record, resource, product), None))
        elif old.status == RecordStatus.ACTIVE and old.content == record.content(
            resource_id=resource.id, product_id=product.pk
        ):
            unchanged += 1
        elif revise:
            writes.append(((record, resource, product), old))
        else:
            problems.add(record.index, "external_id", _conflict_message(record, old), conflict=True)
    return writes, unchanged


def _conflict_message(record: RecordInput, old: Existing) -> str:
    values = {"external_id": record.external_id, "revision": old.revision}
    if old.status == RecordStatus.CANCELLED:
        return _(
            "The record %(external_id)s was cancelled (revision %(revision)s); send it with \"revise\": true "
            "to register it again."
        ) % values
    return _(
        "The record %(external_id)s is registered already (revision %(revision)s) with other content; send "
        "it with \"revise\": true to change it."
    ) % values


def _new_holdings(writes, *, caller, system_operator) -> list[tuple[Holding, object, object]]:
    """The batch's records as holdings, each with its resource's capacity up and down."""
    new = []
    so_name = system_operator.organisation.name
    for (record, resource, product), _old in writes:
        holding = Holding(
            (1, record.index), (resource.kind, resource.id), (caller.pk, system_operator.pk), record.kind,
            record.direction, record.quantity_mw, record.start, record.end, so_name, product.code,
            record.external_id, product.pk,
        )
        new.append((holding, *resource.capacity(start=record.start, end=record.end)))
    return new


def _limits_check(sum_check, writes, new) -> None:
    """SPEC R11: no record may take the sum held under a point or area limit over it (the
    guard's locks are held since before the resources' locks): refused as a conflict (409)."""
    if sum_check is None or not writes:
        return
    refused = sum_check(
        new=[holding for holding, _up, _down in new],
        exclude_record_ids={old.record_id for _w, old in writes if old is not None},
    )
    if refused:
        errors = {index: {"quantity_mw": [message]} for index, message in refused.items()}
        raise RecordsRefused(errors, conflicts=set(refused))


def _double_activation_check(writes, new) -> None:
    if not writes:
        return
    label = {(resource.kind, resource.id): resource.label for (_r, resource, _p), _old in writes}
    held = holdings_held(
        resources=set(label),
        start=min(h.start for h, _u, _d in new),
        end=max(h.end for h, _u, _d in new),
        exclude_record_ids={old.record_id for _w, old in writes if old is not None},
    )
    conflicts = holdings_conflicts(held=held, new=new, label=label)
    if conflicts:
        errors = {index: {"non_field_errors": [refusal.message]} for index, refusal in conflicts.items()}
        raise RecordsRefused(errors, conflicts=set(conflicts), refusals=list(conflicts.values()))

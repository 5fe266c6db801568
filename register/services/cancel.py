"""Cancelling records (SPEC R11): a new revision with status `cancelled` and the content it
cancels, so the history keeps what was held. A record cancelled already stays as it is."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from observability.models import SystemOperator
from register.models import RecordStatus, RegisterBatch
from register.services.ingest import IngestResult, Problems, batch_check, writer_check
from register.services.lookups import existing_for_update
from register.services.writes import Revision, batch_create, revisions_write


@transaction.atomic
def records_cancel(*, caller, system_operator: SystemOperator, external_ids: list) -> IngestResult:
    """Cancel the caller's records under these external ids for `system_operator`, all or none.

    Raises PermissionDenied, ValidationError (the list's shape) or RecordsRefused (unknown ids).
    """
    writer_check(caller=caller, system_operator=system_operator)
    batch_check(external_ids, field="external_ids")
    problems, wanted = Problems(), {}
    for index, value in enumerate(external_ids):
        if not isinstance(value, str) or not value.strip():
            problems.add(index, "external_id", _("Give the platform's own id of the record."))
        elif value.strip() in wanted:
            message = _("The batch holds this external id already, at index %(index)s.")
            problems.add(index, "external_id", message % {"index": wanted[value.strip()]})
        else:
            wanted[value.strip()] = index
    existing = existing_for_update(
        sender_id=caller.pk, system_operator_id=system_operator.pk, external_ids=list(wanted)
    )
    revisions, unchanged = [], 0
    for external_id, index in wanted.items():
        old = existing.get(external_id)
        if old is None:
            problems.add(index, "external_id", _("No record with this external id to cancel."))
        elif old.status == RecordStatus.CANCELLED:
            unchanged += 1
        else:
            revisions.append(Revision(external_id, old.record_id, old.revision + 1, RecordStatus.CANCELLED,
                                      old.content))
    problems.raise_any()
    counts = {"received": len(external_ids), "cancelled": len(revisions), "unchanged": unchanged}
    batch = batch_create(actor=caller, system_operator=system_operator, action=RegisterBatch.Action.CANCEL,
                         counts=counts)
    if revisions:
        revisions_write(batch=batch, revisions=revisions)
    return IngestResult(batch=batch, created=0, revised=0, cancelled=len(revisions), unchanged=unchanged)

"""Every write to the activation register (SPEC R11): ingest (with revisions), cancel, and the
monthly partitions on PostgreSQL."""

from register.services.cancel import records_cancel
from register.services.ingest import IngestResult, RecordsRefused, records_ingest

__all__ = ["IngestResult", "RecordsRefused", "records_cancel", "records_ingest"]

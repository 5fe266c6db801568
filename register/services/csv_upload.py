"""Awards and activations uploaded as CSV in the browser by an SO engineer (SPEC R11, §5): the
same records as the batch API, for the engineer's own operator, through the same ingest
(records_ingest: all or nothing, idempotent by external id, double activations refused). Every
bad row is reported with its line number (the header is line 1) and field.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from common.exports import with_numbers
from observability.models import SystemOperator
from register.services.ingest import IngestResult, RecordsRefused, records_ingest
from register.services.parsing import MAX_BATCH

# The columns of the template (the batch API's fields; spu/spg are ids).
COLUMNS = (
    "external_id", "kind", "spu", "spg", "spu_code", "spg_code", "fsp_eic", "product", "direction",
    "quantity_mw", "start", "end", "revise",
)
MAX_BYTES = 5 * 1024 * 1024
TEMPLATE_ROWS = (
    ("award-2030-01-15-1", "award", "", "", "BAT-1", "", "10X1001A1001A38Y", "mfrr-energy", "up", "2.5",
     "2030-01-15T10:00:00Z", "2030-01-15T14:00:00Z", ""),
    ("act-2030-01-15-1", "activation", "", "", "BAT-1", "", "10X1001A1001A38Y", "mfrr-energy", "up", "1.5",
     "2030-01-15T10:00:00Z", "2030-01-15T10:15:00Z", ""),
)


class CsvRefused(ValidationError):
    """The upload was refused as a whole; `lines`: [(line, field, message)], nothing stored."""

    def __init__(self, lines: list[tuple[int | None, str, str]], *, conflict: bool = False) -> None:
        super().__init__(_("The file was refused; nothing was stored."))
        self.lines = lines
        self.conflict = conflict


def records_template_rows() -> Iterator[list]:
    """The template offered for download: the header and two example rows (quantities as numbers,
    so the Excel variant writes them with a decimal comma)."""
    return with_numbers([COLUMNS, *TEMPLATE_ROWS], columns=("quantity_mw",))


def records_csv_ingest(*, caller, system_operator: SystemOperator, content: bytes) -> IngestResult:
    """Read the file and record its rows as one batch for `system_operator`, sent by `caller`.

    Raises PermissionDenied (not one of its engineers) or CsvRefused with every bad line."""
    records = records_csv_read(content)
    try:
        return records_ingest(caller=caller, system_operator=system_operator, records=records)
    except RecordsRefused as exc:
        lines = [
            (index + 2, field, message)
            for index, fields in sorted(exc.errors.items())
            for field, messages in fields.items()
            for message in messages
        ]
        raise CsvRefused(lines, conflict=exc.status == 409) from exc
    except ValidationError as exc:
        raise CsvRefused([(None, "file", message) for message in exc.messages]) from exc


def records_csv_read(content: bytes) -> list[dict]:
    """The rows as the batch API's records (empty cells left out, ids and `revise` typed)."""
    if len(content) > MAX_BYTES:
        raise CsvRefused([(None, "file", _("The file is larger than 5 MB."))])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvRefused([(None, "file", _("The file is not UTF-8 text."))]) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or ()]
    unknown = [name for name in header if name not in COLUMNS]
    if not header or unknown:
        message = _("Unknown columns: %(names)s. Use the template's header.") % {"names": ", ".join(unknown)}
        raise CsvRefused([(1, "header", message if unknown else _("The file is empty."))])
    reader.fieldnames = header
    records = []
    for row in reader:
        if len(records) >= MAX_BATCH:
            message = _("At most %(max)s rows in one file.") % {"max": MAX_BATCH}
            raise CsvRefused([(None, "file", message)])
        records.append(_record(row))
    if not records:
        raise CsvRefused([(None, "file", _("The file has no rows below its header."))])
    return records


def _record(row: dict) -> dict:
    record = {}
    for name, value in row.items():
        if name is None:  # more cells than columns
            record["extra_cells"] = value
            continue
        value = (value or "").strip()
        if not value:
            continue
        if name in ("spu", "spg") and value.isdigit():
            record[name] = int(value)
        elif name == "revise":
            lowered = value.lower()
            record[name] = {"true": True, "false": False, "1": True, "0": False}.get(lowered, value)
        else:
            record[name] = value
    return record

"""Awards and activations uploaded as CSV in the browser by an SO engineer (SPEC R11, §5): the
same records as the batch API, for the engineer's own operator, through the same ingest
(records_ingest: all or nothing, idempotent by external id, double activations refused). Every
bad row is reported with its line number (the header is line 1) and field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from common.csv_in import CsvIn, CsvInError
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

    def __init__(
        self, lines: list[tuple[int | None, str, str]], *, conflict: bool = False, read_as: str = ""
    ) -> None:
        super().__init__(_("The file was refused; nothing was stored."))
        self.lines = lines
        self.conflict = conflict
        self.read_as = read_as


def records_template_rows() -> Iterator[list]:
    """The template offered for download: the header and two example rows (quantities as numbers,
    so the Excel variant writes them with a decimal comma)."""
    return with_numbers([COLUMNS, *TEMPLATE_ROWS], columns=("quantity_mw",))


@dataclass(frozen=True)
class CsvIngest:
    """What an upload did (`result`) and how its file was read (`read_as`, common.csv_in)."""

    result: IngestResult
    read_as: str


def records_csv_ingest(*, caller, system_operator: SystemOperator, content: bytes) -> CsvIngest:
    """Read the file and record its rows as one batch for `system_operator`, sent by `caller`.

    Raises PermissionDenied (not one of its engineers) or CsvRefused with every bad line."""
    records, lines, read_as = records_csv_read(content)
    try:
        result = records_ingest(caller=caller, system_operator=system_operator, records=records)
    except RecordsRefused as exc:
        problems = [
            (lines[index], field, message)
            for index, fields in sorted(exc.errors.items())
            for field, messages in fields.items()
            for message in messages
        ]
        raise CsvRefused(problems, conflict=exc.status == 409, read_as=read_as) from exc
    except ValidationError as exc:
        raise CsvRefused([(None, "file", message) for message in exc.messages], read_as=read_as) from exc
    return CsvIngest(result=result, read_as=read_as)


def records_csv_read(content: bytes) -> tuple[list[dict], list[int], str]:
    """The rows as the batch API's records (empty cells left out, ids and `revise` typed), the
    line of each, and how the file was read."""
    if len(content) > MAX_BYTES:
        raise CsvRefused([(None, "file", _("The file is larger than 5 MB."))])
    reader = CsvIn(content)
    try:
        rows = reader.rows()
        header = [name.strip() for name in next(rows, (1, []))[1]]
        unknown = [name for name in header if name not in COLUMNS]
        if not header or unknown:
            message = _("Unknown columns: %(names)s. Use the template's header.") % {
                "names": ", ".join(unknown)
            }
            raise CsvRefused([(1, "header", message if unknown else _("The file is empty."))])
        records, lines, problems = [], [], []
        for line, cells in rows:
            if len(records) >= MAX_BATCH:
                message = _("At most %(max)s rows in one file.") % {"max": MAX_BATCH}
                raise CsvRefused([(None, "file", message)])
            records.append(_record(header, cells, reader=reader, line=line, problems=problems))
            lines.append(line)
    except CsvInError as exc:
        raise CsvRefused([(exc.line or None, "file", exc.message)]) from None
    if problems:
        raise CsvRefused(problems, read_as=reader.description())
    if not records:
        raise CsvRefused([(None, "file", _("The file has no rows below its header."))])
    return records, lines, reader.description()


def _record(header: list[str], cells: list[str], *, reader: CsvIn, line: int, problems: list) -> dict:
    record = {}
    if len(cells) > len(header):
        record["extra_cells"] = cells[len(header):]
    for name, value in zip(header, cells, strict=False):
        value = value.strip()
        if not value:
            continue
        if name in ("spu", "spg") and value.isdigit():
            record[name] = int(value)
        elif name == "revise":
            lowered = value.lower()
            record[name] = {"true": True, "false": False, "1": True, "0": False}.get(lowered, value)
        elif name == "quantity_mw":
            record[name], problem = reader.number(value, line=line)
            if problem:
                problems.append((line, name, problem))
        else:
            record[name] = value
    return record

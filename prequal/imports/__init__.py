"""Bulk import of SPUs with their connection points from CSV (SPEC §5, §6, §7).

All or nothing: every row is checked, every bad row is reported with its line number,
and nothing is stored when any row is bad. Built to stream: the file is read line by
line, rows are checked and written in batches inside one transaction, and only the
identifiers seen so far (SPU codes, GSRNs) stay in memory, so 1,000,000 rows fit the
budget in SPEC §7 (≤ 5 minutes, ≤ 1 GB).

prequal.imports.service   spu_import_csv and the template: what the view and the command call
prequal.imports.importer  _Importer: one import's state, its batches checked then written
prequal.imports.reading   the file read line by line: size, encoding, CSV, header, batches
prequal.imports.checks    one row's checks: SPU, operator, GSRN, connection point, CRS
prequal.imports.sql       the bulk INSERT (COPY) and the one-query lookups
prequal.imports.columns   the CSV columns and the template row
prequal.imports.results   RowError and ImportResult

BATCH_ROWS lives in prequal.imports.reading and rows_insert is called from
prequal.imports.importer: patch them there.
"""

from prequal.imports.columns import COLUMNS, OPTIONAL_COLUMNS, POINT_COLUMNS, REQUIRED_COLUMNS, TEMPLATE_ROW
from prequal.imports.results import ImportResult, RowError
from prequal.imports.service import spu_import_csv, spu_import_template_rows

__all__ = [
    "COLUMNS",
    "OPTIONAL_COLUMNS",
    "POINT_COLUMNS",
    "REQUIRED_COLUMNS",
    "TEMPLATE_ROW",
    "ImportResult",
    "RowError",
    "spu_import_csv",
    "spu_import_template_rows",
]

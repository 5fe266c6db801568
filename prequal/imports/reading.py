"""Reading the file: its size, its CSV (common.csv_in) and header; the rows handed on in batches.

_Reading is the half of _Importer (prequal.imports.importer) that reads; `self._batch`
checks and writes each batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from django.utils.translation import gettext as _

from common.csv_in import CsvIn, CsvInError
from common.text import normalize_text
from prequal.imports.columns import COLUMNS, REQUIRED_COLUMNS

# Rows checked and written together: one query per batch for existing codes and GSRNs.
BATCH_ROWS = 2000


class _Stop(Exception):
    """The file cannot be read further; the reason is already in the error list."""


class _Reading:
    def run(self, file: IO) -> None:
        limit = self.max_bytes if self.max_bytes is not None else float("inf")
        size = _size_of(file) if self.max_bytes is not None else None
        if size is not None and size > limit:
            self.error(0, "", _(
                "The file is %(size)s MB; the largest file accepted is %(limit)s MB. "
                "Split it into several files."
            ) % {"size": round(size / 1e6, 1), "limit": round(limit / 1e6, 1)})
            return
        try:
            self._read(file, limit)
        except _Stop:
            pass

    def _read(self, file: IO, limit: float) -> None:
        self.csv_in = csv_in = CsvIn(file, max_bytes=limit)
        rows = csv_in.rows()
        try:
            first = next(rows, None)
            if first is None:
                self.error(1, "", _(
                    "The file is empty: expected a header row with the columns %(columns)s."
                ) % {"columns": ", ".join(COLUMNS)})
                return
            header = [h.strip().lower() for h in first[1]]
            if not self._check_header(header):
                return
            self._rows(rows, header)
        except CsvInError as exc:
            self.error(exc.line, "", exc.message)
            raise _Stop from None

    def _rows(self, rows: Iterator[tuple[int, list[str]]], header: list[str]) -> None:
        batch: list[tuple[int, dict[str, str]]] = []
        for line, row in rows:
            self.rows += 1
            if len(row) != len(header):
                self.error(line, "", _(
                    "This row has %(found)s fields; the header has %(expected)s. "
                    "Check for a missing or extra separator (%(delimiter)s)."
                ) % {"found": len(row), "expected": len(header), "delimiter": self.csv_in.delimiter})
                continue
            # In NFC, as the models store codes and names: the same code typed two ways is one code.
            values = {name: normalize_text(cell) for name, cell in zip(header, row, strict=True)}
            batch.append((line, values))
            if len(batch) >= BATCH_ROWS:
                self._batch(batch)
                batch = []
        if batch:
            self._batch(batch)
        if self.rows == 0 and not self.errors:
            self.error(2, "", _("The file has a header row but no rows to import."))

    def _check_header(self, header: list[str]) -> bool:
        known = set(COLUMNS)
        if not known.intersection(header):
            self.error(1, "", _(
                "The first line must be a header row with the column names %(columns)s."
            ) % {"columns": ", ".join(COLUMNS)})
            return False
        ok = True
        for position, name in enumerate(header, start=1):
            if not name:
                self.error(1, "", _("Column %(position)s has no name.") % {"position": position})
                ok = False
            elif name not in known:
                self.error(1, name, _(
                    "Unknown column \"%(name)s\": expected only %(columns)s."
                ) % {"name": name, "columns": ", ".join(COLUMNS)})
                ok = False
            elif header.count(name) > 1 and header.index(name) == position - 1:
                self.error(1, name, _("The column \"%(name)s\" appears twice.") % {"name": name})
                ok = False
        for name in REQUIRED_COLUMNS:
            if name not in header:
                self.error(1, name, _("The column \"%(name)s\" is missing.") % {"name": name})
                ok = False
        return ok


def _size_of(file: IO) -> int | None:
    size = getattr(file, "size", None)
    if isinstance(size, int):
        return size
    raw = getattr(file, "file", file)
    try:
        position = raw.tell()
        raw.seek(0, 2)
        size = raw.tell()
        raw.seek(position)
    except (AttributeError, OSError, ValueError):
        return None
    return size

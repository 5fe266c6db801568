"""Reading the file: its size, its UTF-8, its CSV and header; the rows handed on in batches.

_Reading is the half of _Importer (prequal.imports.importer) that reads; `self._batch`
checks and writes each batch.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from typing import IO

from django.utils.translation import gettext as _

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

    def _lines(self, file: IO, limit: float) -> Iterator[str]:
        """The file's lines as text; stops with an error on bad UTF-8 or too many bytes."""
        raw = getattr(file, "file", file)
        if hasattr(raw, "seek") and (not hasattr(raw, "seekable") or raw.seekable()):
            raw.seek(0)
        total = 0
        for number, line in enumerate(raw, start=1):
            if isinstance(line, bytes):
                total += len(line)
                try:
                    line = line.decode("utf-8")
                except UnicodeDecodeError:
                    self.error(number, "", _(
                        "The file is not UTF-8 text. Save it as \"CSV UTF-8\" and try again."
                    ))
                    raise _Stop from None
            else:
                total += len(line)
            if total > limit:
                self.error(number, "", _(
                    "The file is larger than %(limit)s MB. Split it into several files."
                ) % {"limit": round(limit / 1e6, 1)})
                raise _Stop
            if number == 1:
                line = line.removeprefix("\ufeff")
            yield line

    def _read(self, file: IO, limit: float) -> None:
        lines = self._lines(file, limit)
        first = next(lines, None)
        if first is None or not first.strip():
            self.error(1, "", _(
                "The file is empty: expected a header row with the columns %(columns)s."
            ) % {"columns": ", ".join(COLUMNS)})
            return
        delimiter = ";" if first.count(";") > first.count(",") else ","
        reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter, strict=True)
        try:
            header = [h.strip().lower() for h in next(reader)]
        except csv.Error as exc:
            self.error(1, "", _("The header row is not valid CSV: %(error)s.") % {"error": exc})
            return
        if not self._check_header(header):
            return

        batch: list[tuple[int, dict[str, str]]] = []
        previous_line = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                self.error(reader.line_num, "", _(
                    "The file is not valid CSV here (%(error)s); check the quotes. "
                    "Nothing after this line was read."
                ) % {"error": exc})
                break
            line, previous_line = previous_line + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # blank lines, and the empty rows spreadsheets leave at the end
            self.rows += 1
            if len(row) != len(header):
                self.error(line, "", _(
                    "This row has %(found)s fields; the header has %(expected)s. "
                    "Check for a missing or extra separator (%(delimiter)s)."
                ) % {"found": len(row), "expected": len(header), "delimiter": delimiter})
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

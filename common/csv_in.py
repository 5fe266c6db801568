"""Reading the CSV files people upload, as spreadsheets write them (one reader for every import).

Swedish Excel saves "CSV (semicolon-separated)" in Windows-1252 with decimal commas; "CSV UTF-8"
adds a byte-order mark; other tools write UTF-8 with commas and decimal points. CsvIn detects
each of the three choices and says what it read (`description()`: "Read as Windows-1252,
semicolon-separated, decimal comma."), for the result page.

Nothing is guessed silently:
- the encoding is UTF-8 (with or without BOM) unless a line is not UTF-8; then the file is
  Windows-1252, provided no earlier line held UTF-8 letters (a file mixing both is refused);
- the separator is the one the header row uses; a header with as many commas as semicolons is
  refused;
- the decimal mark is the first one met in a number, and every later number must use the same;
  a decimal comma in a comma-separated file, or a number with both a comma and a point (a
  thousands separator), is refused with a message saying why.

Built to stream: lines are decoded one at a time, so a million-row file is never held whole.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from typing import IO

from django.utils.translation import gettext as _

UTF8, UTF8_BOM, WINDOWS_1252 = "UTF-8", "UTF-8 BOM", "Windows-1252"
# Digits grouped by spaces (as Swedish Excel writes a formatted number): 1 500 or 1 500,5.
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?")


class CsvInError(Exception):
    """The file cannot be read (further): `line` (1 = header, 0 = the file) and what is wrong."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class CsvIn:
    """One uploaded CSV file: its rows, and how it was read.

    `source` is bytes, text, or a binary file object (an upload, a file opened "rb").
    `max_bytes` stops the reading with an error past that size.
    """

    def __init__(self, source: bytes | str | IO, *, max_bytes: float | None = None) -> None:
        if isinstance(source, bytes):
            source = io.BytesIO(source)
        self.source = source
        self.max_bytes = float("inf") if max_bytes is None else max_bytes
        self.encoding: str | None = None  # known once the whole file is read
        self.delimiter: str | None = None
        self.decimal: str | None = None  # "," or "."; None while no number had one
        self.decimal_line: int | None = None
        self._utf8_letters = False  # a line held non-ASCII UTF-8: no switch to Windows-1252

    # Lines and rows -----------------------------------------------------------------------

    def lines(self) -> Iterator[str]:
        """The file's lines as text, the BOM removed. Raises CsvInError."""
        if isinstance(self.source, str):
            self.encoding = UTF8
            for number, text in enumerate(io.StringIO(self.source.removeprefix("\ufeff"), newline=""), 1):
                yield _text_only(number, text)
            return
        raw = getattr(self.source, "file", self.source)
        if hasattr(raw, "seek") and (not hasattr(raw, "seekable") or raw.seekable()):
            raw.seek(0)
        total = 0
        for number, line in enumerate(raw, start=1):
            total += len(line)
            if total > self.max_bytes:
                raise CsvInError(number, _(
                    "The file is larger than %(limit)s MB. Split it into several files."
                ) % {"limit": round(self.max_bytes / 1e6, 1)})
            if number == 1:
                line = self._first(line)
            yield _text_only(number, self._decode(number, line))
        if self.encoding is None:
            self.encoding = UTF8

    def _first(self, line: bytes) -> bytes:
        if line.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise CsvInError(1, _(
                "The file is UTF-16 text (\"Unicode text\"). Save it as \"CSV UTF-8\" or as "
                "\"CSV (semicolon-separated)\" and try again."
            ))
        if line.startswith(codecs.BOM_UTF8):
            self.encoding = UTF8_BOM
            return line[len(codecs.BOM_UTF8):]
        return line

    def _decode(self, number: int, line: bytes) -> str:
        if self.encoding == WINDOWS_1252:
            if not line.isascii() and _is_utf8(line):
                raise self._mixed(number)
            return _windows_1252(number, line)
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            if self._utf8_letters or self.encoding == UTF8_BOM:
                raise self._mixed(number) from None
            self.encoding = WINDOWS_1252  # every line before was ASCII: read the same either way
            return _windows_1252(number, line)
        if not line.isascii():
            self._utf8_letters = True
        return text

    def _mixed(self, number: int) -> CsvInError:
        return CsvInError(number, _(
            "The file mixes two encodings (UTF-8 and Windows-1252); this line is not in the "
            "encoding of the lines before it. Save the whole file as \"CSV UTF-8\" and try again."
        ))

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line number, cells) for every row, the header first; blank rows skipped.

        The line number is the row's first line in the file (a quoted cell may span lines).
        Raises CsvInError: the header's separator is unclear, or the CSV is broken (quotes).
        """
        lines = self.lines()
        first = next(lines, None)
        if first is None:
            return
        self.delimiter = _delimiter(first)
        reader = csv.reader(_chain(first, lines), delimiter=self.delimiter, strict=True)
        line = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise CsvInError(reader.line_num, _(
                    "The file is not valid CSV here (%(error)s); check the quotes. "
                    "Nothing after this line was read."
                ) % {"error": exc}) from None
            if "".join(cells).strip():  # blank rows, and the empty rows spreadsheets leave at the end
                yield line, cells
            line = reader.line_num + 1

    # Numbers ------------------------------------------------------------------------------

    def number(self, text: str, *, line: int | None = None) -> tuple[str, str | None]:
        """(the number with a decimal point, None), or (text, what is ambiguous about it).

        Text that is not written like a number comes back as it is, for the caller's own check.
        """
        text = text.strip()
        if text.isdigit():  # most cells: nothing to read (a million-row file calls this millions of times)
            return text, None
        if (" " in text or "\u00a0" in text or "\u202f" in text) and _GROUPED.fullmatch(text):
            text = re.sub(r"[ \u00a0\u202f]", "", text)
        digits = text[1:] if text[:1] in "+-" else text
        if not (digits.isascii() and digits.replace(",", "").replace(".", "").isdigit()):
            return text, None
        commas, points = text.count(","), text.count(".")
        if commas and points or commas > 1 or points > 1:
            return text, _(
                "%(value)s is ambiguous: write numbers without thousands separators, with one "
                "decimal mark."
            ) % {"value": text}
        if not commas and not points:
            return text, None
        mark = "," if commas else "."
        if mark == "," and self.delimiter == ",":
            return text, _(
                "%(value)s has a decimal comma in a comma-separated file: it is unclear what the "
                "comma means. Use a decimal point, or save the file as semicolon-separated."
            ) % {"value": text}
        if self.decimal is None:
            self.decimal, self.decimal_line = mark, line
        elif mark != self.decimal:
            return text, self._other_mark(text)
        return text.replace(",", "."), None

    def _other_mark(self, text: str) -> str:
        if self.decimal == ",":
            message = _("%(value)s has a decimal point, but the file's first decimal number "
                        "(line %(line)s) has a decimal comma: use one decimal mark in the file.")
        else:
            message = _("%(value)s has a decimal comma, but the file's first decimal number "
                        "(line %(line)s) has a decimal point: use one decimal mark in the file.")
        return message % {"value": text, "line": self.decimal_line or "–"}

    # What was read ------------------------------------------------------------------------

    def description(self) -> str:
        """How the file was read, for the result page: "Read as UTF-8, comma-separated, …"."""
        encoding = {
            UTF8_BOM: _("UTF-8 with BOM"), WINDOWS_1252: "Windows-1252",
        }.get(self.encoding, "UTF-8")
        delimiter = _("semicolon-separated") if self.delimiter == ";" else _("comma-separated")
        decimal = {",": _("decimal comma"), ".": _("decimal point")}.get(self.decimal, _("no decimals"))
        return _("Read as %(encoding)s, %(delimiter)s, %(decimal)s.") % {
            "encoding": encoding, "delimiter": delimiter, "decimal": decimal,
        }


def _text_only(number: int, text: str) -> str:
    """The line, unless it holds NUL: no spreadsheet writes one, and PostgreSQL text cannot hold it."""
    if "\x00" in text:
        raise CsvInError(number, _(
            "This line holds a NUL character (0x00): the file is not plain text. Save it as \"CSV UTF-8\" "
            "or as \"CSV (semicolon-separated)\" and try again."
        ))
    return text


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _delimiter(header: str) -> str:
    commas, semicolons = header.count(","), header.count(";")
    if commas and commas == semicolons:
        raise CsvInError(1, _(
            "The header row has as many commas as semicolons, so the separator is unclear. "
            "Separate the columns by commas or by semicolons, not both."
        ))
    return ";" if semicolons > commas else ","


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _windows_1252(number: int, line: bytes) -> str:
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError:
        raise CsvInError(number, _(
            "The file is neither UTF-8 nor Windows-1252 text. Save it as \"CSV UTF-8\" and try again."
        )) from None

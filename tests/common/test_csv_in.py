"""The one CSV reader of every import (common.csv_in): encoding, separator and decimal mark
detected and stated; ambiguous files refused with a reason, never misread."""

from __future__ import annotations

import io
import itertools

import pytest
from django.utils import translation

from common.csv_in import CsvIn, CsvInError

ENCODINGS = {
    "utf-8": ("utf-8", b"", "UTF-8"),
    "utf-8-bom": ("utf-8", b"\xef\xbb\xbf", "UTF-8 with BOM"),
    "windows-1252": ("cp1252", b"", "Windows-1252"),
}
DELIMITERS = {",": "comma-separated", ";": "semicolon-separated"}
DECIMALS = {".": "decimal point", ",": "decimal comma"}


def _file(encoding: str, delimiter: str, decimal: str) -> bytes:
    codec, bom, _label = ENCODINGS[encoding]
    rows = [["name", "power_kw", "x"], ["Värmepump Åre", f"12{decimal}5", f"18{decimal}0686"],
            ["Batteri Öland", "7", "-3"]]
    quote = '"' if decimal == delimiter else ""  # a decimal comma in a comma file must be quoted
    lines = [delimiter.join(f"{quote}{cell}{quote}" if "," in cell else cell for cell in row)
             for row in rows]
    return bom + "\r\n".join(lines).encode(codec) + b"\r\n"


def _read(data: bytes | str) -> tuple[CsvIn, list[tuple[int, list[str]]], list[tuple[str, str | None]]]:
    reader = CsvIn(data)
    rows = list(reader.rows())
    numbers = [reader.number(cells[column], line=line) for line, cells in rows[1:] for column in (1, 2)]
    return reader, rows, numbers


COMBINATIONS = [
    combination for combination in itertools.product(ENCODINGS, DELIMITERS, DECIMALS)
    if combination[1:] != (",", ",")
]


@pytest.mark.parametrize(("encoding", "delimiter", "decimal"), COMBINATIONS)
def test_every_combination_is_read_and_stated(encoding, delimiter, decimal):
    reader, rows, numbers = _read(_file(encoding, delimiter, decimal))

    assert [line for line, _cells in rows] == [1, 2, 3]
    assert rows[1][1][0] == "Värmepump Åre"
    assert rows[2][1][0] == "Batteri Öland"
    assert numbers == [("12.5", None), ("18.0686", None), ("7", None), ("-3", None)]
    with translation.override("en"):
        assert reader.description() == (
            f"Read as {ENCODINGS[encoding][2]}, {DELIMITERS[delimiter]}, {DECIMALS[decimal]}."
        )


def test_a_decimal_comma_in_a_comma_separated_file_is_refused_not_misread():
    reader, _rows, numbers = _read(_file("utf-8", ",", ","))

    assert all(problem for _value, problem in numbers[:2])
    assert "comma-separated" in numbers[0][1]


@pytest.mark.parametrize("text", ["1,500.5", "1.500,5", "1,500,000", "1.000.000"])
def test_a_number_with_thousands_separators_is_refused(text):
    reader = CsvIn(b"a;b\r\n")
    list(reader.rows())

    value, problem = reader.number(text, line=2)

    assert problem and "thousands" in problem


def test_digits_grouped_by_spaces_are_one_number():
    reader = CsvIn(b"a;b\r\n")
    list(reader.rows())

    assert reader.number("1\u00a0500,5", line=2) == ("1500.5", None)
    assert reader.number("12 000", line=3) == ("12000", None)


def test_a_second_decimal_mark_is_refused_naming_the_first():
    reader = CsvIn(b"a;b\r\n")
    list(reader.rows())

    assert reader.number("2,5", line=4) == ("2.5", None)
    value, problem = reader.number("2.5", line=9)

    assert problem and "line 4" in problem
    assert reader.number("3,25", line=10) == ("3.25", None)  # the first mark still holds


def test_text_that_is_not_a_number_is_left_to_the_caller():
    reader = CsvIn(b"a,b\r\n")
    list(reader.rows())

    assert reader.number(" abc ") == ("abc", None)
    assert reader.number("") == ("", None)
    with translation.override("en"):
        assert reader.description() == "Read as UTF-8, comma-separated, no decimals."


def test_utf8_then_windows_1252_is_refused():
    data = "a;b\r\nÅre;1\r\n".encode() + "Öland;2\r\n".encode("cp1252")

    with pytest.raises(CsvInError) as info:
        list(CsvIn(data).rows())

    assert info.value.line == 3
    assert "mixes two encodings" in info.value.message


def test_windows_1252_then_utf8_is_refused():
    data = "a;b\r\nÖland;2\r\n".encode("cp1252") + "Åre;1\r\n".encode()

    with pytest.raises(CsvInError) as info:
        list(CsvIn(data).rows())

    assert info.value.line == 3


def test_a_bom_then_windows_1252_is_refused():
    data = b"\xef\xbb\xbf" + b"a;b\r\n" + "Öland;2\r\n".encode("cp1252")

    with pytest.raises(CsvInError) as info:
        list(CsvIn(data).rows())

    assert info.value.line == 2


def test_bytes_undefined_in_windows_1252_are_refused():
    with pytest.raises(CsvInError) as info:
        list(CsvIn(b"a;b\r\nx\x81y;1\r\n").rows())

    assert "neither UTF-8 nor Windows-1252" in info.value.message


def test_utf16_is_refused_with_how_to_save():
    with pytest.raises(CsvInError) as info:
        list(CsvIn("a;b\r\n1;2\r\n".encode("utf-16")).rows())

    assert info.value.line == 1
    assert "UTF-16" in info.value.message


def test_a_header_with_as_many_commas_as_semicolons_is_refused():
    with pytest.raises(CsvInError) as info:
        list(CsvIn(b"a,b;c\r\n1,2;3\r\n").rows())

    assert info.value.line == 1


def test_broken_quotes_are_refused_at_their_line():
    with pytest.raises(CsvInError) as info:
        list(CsvIn(b'a,b\r\n1,2\r\n"x"y,3\r\n').rows())

    assert info.value.line == 3


def test_blank_rows_are_skipped_and_lines_counted_across_quoted_newlines():
    rows = list(CsvIn(b'a,b\r\n"two\r\nlines",1\r\n\r\n,,\r\nx,2\r\n').rows())

    assert [line for line, _cells in rows] == [1, 2, 6]


def test_a_file_larger_than_the_limit_stops_at_the_line():
    with pytest.raises(CsvInError) as info:
        list(CsvIn(io.BytesIO(b"a,b\n" + b"1,2\n" * 10), max_bytes=20).rows())

    assert info.value.line == 6  # 4 bytes a line: 24 > 20


def test_text_and_files_are_read_too():
    assert list(CsvIn("\ufeffa;b\r\n1;2\r\n").rows()) == [(1, ["a", "b"]), (2, ["1", "2"])]
    assert list(CsvIn(io.BytesIO(b"a;b\n1;2\n")).rows()) == [(1, ["a", "b"]), (2, ["1", "2"])]

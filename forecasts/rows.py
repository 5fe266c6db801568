"""Reading and checking the rows of a forecast publication (CSV or JSON), all of them at once.

Every bad row is reported with where it is (a CSV file's line, the header being line 1, or a
JSON list's position, from 0), its field and what is wrong; the caller stores nothing when any
row is bad (SPEC §6). Read by forecasts.services.publication_create.

Speed (SPEC §7: a day's day-ahead publication of every operator, 384,000 rows, in 10 s): a row is
five texts (`Cells`), and a day's publication repeats each zone code, start, direction, headroom
and level text thousands of times. Each distinct text is read once (`_Memo`: its value and its
message), so a good row costs five dictionary look-ups, a duplicate check and a tuple; the row's
label (`line 3`, `rows[2]`) is only written when the row has a problem.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from operator import itemgetter

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from common.csv_in import CsvIn, CsvInError
from common.times import InstantError, instant_in_range
from forecasts.models import LEVEL_BY_CODE, Horizon
from prequal.models import Direction

COLUMNS = ("zone", "start", "direction", "headroom_mw", "level")
DIRECTIONS = (Direction.UP.value, Direction.DOWN.value)
MAX_HEADROOM_MW = Decimal("9999999.999")
# How far ahead a row may lie: a forecast, not a plan (and no partition for a far-off month).
MAX_DAYS_AHEAD = 10

Cells = tuple[str, str, str, str, str]  # the texts of COLUMNS, in that order
# A checked row: (zone id, start, direction, headroom in MW as decimal text, level).
CheckedRow = tuple[int, datetime, str, str, int]


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One problem: where (`line 3`, `rows[2]`), the field, and what is wrong."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.where}, {self.field}: {self.message}"
            if self.field
            else f"{self.where}: {self.message}"
        )


@dataclass(frozen=True)
class SourceRows:
    """The rows of a CSV text or a JSON list: (position, cells) pairs; `where` names a position."""

    rows: list[tuple[int, Cells]]
    where: Callable[[int], str]
    # A number's text → (with a decimal point, what is unclear): the CSV file's decimal mark.
    number: Callable[[str], tuple[str, str | None]] = lambda text: (_decimal_comma(text), None)


@dataclass(frozen=True)
class RowRules:
    """What the rows of one publication are checked against."""

    zones: Mapping[str, tuple[int, datetime]]  # code → (zone id, first version's valid_from)
    zone_owner: str  # the operator's name, for messages
    time_zone: str
    horizon: str
    mtu_minutes: int
    now: datetime


def _header_problem(missing: list[str], unknown: list[str]) -> RowProblem:
    return RowProblem(
        _("line %(line)s") % {"line": 1},
        "",
        _(
            "The header must name the columns %(expected)s "
            "(missing: %(missing)s; unknown: %(unknown)s)."
        )
        % {
            "expected": ", ".join(COLUMNS),
            "missing": ", ".join(missing) or "–",
            "unknown": ", ".join(unknown) or "–",
        },
    )


def rows_from_csv(source: CsvIn | str | bytes) -> tuple[SourceRows, list[RowProblem]]:
    """The rows of a CSV file with the columns of COLUMNS (any order), or the header's problem.

    Read by common.csv_in: UTF-8 or Windows-1252, commas or semicolons, one decimal mark.
    """
    reader = source if isinstance(source, CsvIn) else CsvIn(source)
    line = _("line %(line)s")  # translated once, written only for rows with a problem
    where = lambda number: line % {"line": number}  # noqa: E731
    number = lambda text: reader.number(text)  # noqa: E731
    found = reader.rows()
    rows = []
    try:
        header = [name.strip() for name in next(found, (1, []))[1]]
        missing = [name for name in COLUMNS if name not in header]
        unknown = [name for name in header if name not in COLUMNS]
        if missing or unknown:
            return SourceRows([], where, number), [_header_problem(missing, unknown)]
        width = len(header)
        cells = itemgetter(*(header.index(name) for name in COLUMNS))
        for position, values in found:
            if len(values) != width:
                values = (values + [""] * width)[:width]  # as csv.DictReader: missing cells empty
            rows.append((position, cells(values)))
    except CsvInError as exc:
        return SourceRows(rows, where, number), [RowProblem(where(exc.line), "", exc.message)]
    return SourceRows(rows, where, number), []


def _json_text(value) -> str:
    if value.__class__ is str:
        return value
    return "" if value is None else str(value)


def rows_from_json(items: Iterable) -> tuple[SourceRows, list[RowProblem]]:
    rows, problems = [], []
    where = "rows[{}]".format
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            problems.append(
                RowProblem(
                    where(index),
                    "",
                    _("Expected an object with the fields %(fields)s.")
                    % {"fields": ", ".join(COLUMNS)},
                )
            )
            continue
        unknown = sorted(set(item) - set(COLUMNS))
        problems.extend(RowProblem(where(index), name, _("Unknown field.")) for name in unknown)
        rows.append((index, tuple(_json_text(item.get(name)) for name in COLUMNS)))
    return SourceRows(rows, where), problems


def _decimal_comma(text: str) -> str:
    # A JSON row may give the headroom as text with a decimal comma.
    return text.replace(",", ".") if "," in text and "." not in text else text


def rows_check(
    source: SourceRows, *, rules: RowRules
) -> tuple[list[CheckedRow], list[RowProblem]]:
    """Every row checked; a row repeating an earlier one's zone, start and direction is refused.

    The good rows, as CheckedRow tuples in the source's order, and every problem of the others.
    """
    checked: list[CheckedRow] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[int, datetime, str], int] = {}
    memo = _Memo(rules=rules, number=source.number)
    zones, starts, directions = memo.zones, memo.starts, memo.directions
    headrooms, levels = memo.headrooms, memo.levels
    for position, cells in source.rows:
        zone_text, start_text, direction_text, headroom_text, level_text = cells
        zone_id, first_valid_from = zones[zone_text]
        start, end = starts[start_text]
        direction, headroom, level = (
            directions[direction_text], headrooms[headroom_text], levels[level_text]
        )
        if (
            zone_id is None or start is None or direction is None or headroom is None
            or level is None or end <= first_valid_from
        ):
            problems += _row_problems(source.where(position), memo, cells)
            continue
        key = (zone_id, start, direction)
        first = seen.setdefault(key, position)
        if first != position:
            problems.append(
                RowProblem(
                    source.where(position),
                    "",
                    _("Duplicate row: the same zone, start and direction as %(first)s.")
                    % {"first": source.where(first)},
                )
            )
            continue
        checked.append((zone_id, start, direction, headroom, level))
    return checked, problems


class _Read(dict):
    """A text → what it reads as, each distinct text read once (`read(text)`)."""

    def __init__(self, read: Callable[[str], object]) -> None:
        super().__init__()
        self.read = read

    def __missing__(self, text: str):
        value = self[text] = self.read(text)
        return value


class _Memo:
    """Each distinct text of a column read once: the values of the fast path (None where the text
    is wrong) and, for the rows with a problem, the messages."""

    def __init__(self, *, rules: RowRules, number: Callable[[str], tuple[str, str | None]]) -> None:
        self.rules, self.zone, self.number = rules, zoneinfo.ZoneInfo(rules.time_zone), number
        self.mtu = timedelta(minutes=rules.mtu_minutes)
        self.start_checks = _Read(lambda text: _start(text.strip(), rules=rules, zone=self.zone))
        self.starts = _Read(self._start_span)
        self.zones = _Read(lambda text: rules.zones.get(text.strip(), (None, None)))
        self.directions = _Read(lambda text: _direction(text)[0])
        self.headrooms = _Read(lambda text: _headroom_text(text, number))
        self.levels = _Read(lambda text: LEVEL_BY_CODE.get(text.strip().lower()))

    def _start_span(self, text: str) -> tuple[datetime | None, datetime | None]:
        """(start, end of its unit), or (None, None) for a wrong start."""
        start = self.start_checks[text][0]
        return (start, start + self.mtu) if start is not None else (None, None)


def _direction(text: str) -> tuple[str | None, str | None]:
    direction = text.strip().lower()
    if direction in DIRECTIONS:
        return direction, None
    return None, _("%(value)r is not a direction: expected up or down.") % {"value": direction}


def _headroom_text(text: str, number) -> str | None:
    """The headroom as plain decimal text (as the database takes it), or None when wrong."""
    value = _headroom(text.strip(), number)[0]
    return None if value is None else format(value, "f")


def _row_problems(where: str, memo: _Memo, cells: Cells) -> list[RowProblem]:
    """Every problem of one row, field by field (start, zone, direction, headroom, level)."""
    zone_text, start_text, direction_text, headroom_text, level_text = cells
    problems: list[RowProblem] = []

    def bad(name: str, message: str | None) -> None:
        if message:
            problems.append(RowProblem(where, name, message))

    start, message = memo.start_checks[start_text]
    bad("start", message)
    _zone(zone_text.strip(), start=start, rules=memo.rules, bad=bad)
    bad("direction", _direction(direction_text)[1])
    bad("headroom_mw", _headroom(headroom_text.strip(), memo.number)[1])
    if memo.levels[level_text] is None:
        bad(
            "level",
            _("%(value)r is not a congestion level: expected none, possible, likely or certain.")
            % {"value": level_text.strip()},
        )
    return problems


def _zone(code: str, *, start: datetime | None, rules: RowRules, bad) -> int | None:
    known = rules.zones.get(code)
    if known is None:
        bad(
            "zone",
            _("%(code)r is not a grid zone of %(so)s.") % {"code": code, "so": rules.zone_owner},
        )
        return None
    zone_id, first_valid_from = known
    if start is not None and start + timedelta(minutes=rules.mtu_minutes) <= first_valid_from:
        bad(
            "zone",
            _("Grid zone %(code)s is valid only from %(when)s.")
            % {"code": code, "when": first_valid_from.isoformat()},
        )
    return zone_id


def _start(text: str, *, rules: RowRules, zone) -> tuple[datetime | None, str | None]:
    """(the instant, None) or (None, what is wrong)."""
    value = parse_datetime(text) if text else None
    if value is None or value.tzinfo is None:
        return None, (
            _("%(value)r is not a date and time with its UTC offset, e.g. 2027-01-05T13:00+01:00.")
            % {"value": text}
        )
    try:
        instant_in_range(value)
    except InstantError as exc:
        return None, str(exc)
    local = value.astimezone(zone)
    if local.second or local.microsecond or local.minute % rules.mtu_minutes:
        return None, (
            _("%(value)s does not begin a %(mtu)s-minute market time unit (%(zone)s).")
            % {"value": text, "mtu": rules.mtu_minutes, "zone": rules.time_zone}
        )
    if rules.horizon == Horizon.DAY_AHEAD and value < rules.now:
        return None, (
            _("%(value)s is in the past: a day-ahead forecast covers periods to come.")
            % {"value": text}
        )
    if value > rules.now + timedelta(days=MAX_DAYS_AHEAD):
        return None, (
            _("%(value)s is more than %(days)s days ahead.")
            % {"value": text, "days": MAX_DAYS_AHEAD}
        )
    return value, None


def _headroom(text: str, number) -> tuple[Decimal | None, str | None]:
    """(the MW, None) or (None, what is wrong); `number` reads the file's decimal mark."""
    text, unclear = number(text)
    if unclear:
        return None, unclear
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        return None, _("%(value)r is not a number of MW.") % {"value": text}
    if value < 0:
        return None, _("The headroom cannot be negative (%(value)s MW).") % {"value": text}
    if value > MAX_HEADROOM_MW or value != value.quantize(Decimal("0.001")):
        return None, _("Give at most %(max)s MW with at most three decimals.") % {
            "max": MAX_HEADROOM_MW
        }
    return value, None

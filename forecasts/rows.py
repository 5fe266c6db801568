"""Reading and checking the rows of a forecast publication (CSV or JSON), all of them at once.

Every bad row is reported with where it is (a CSV file's line, the header being line 1, or a
JSON list's position, from 0), its field and what is wrong; the caller stores nothing when any
row is bad (SPEC §6). Read by forecasts.services.publication_create.
"""

from __future__ import annotations

import csv
import io
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from common.times import InstantError, instant_in_range
from forecasts.models import LEVEL_BY_CODE, Horizon
from prequal.models import Direction

COLUMNS = ("zone", "start", "direction", "headroom_mw", "level")
DIRECTIONS = (Direction.UP.value, Direction.DOWN.value)
MAX_HEADROOM_MW = Decimal("9999999.999")
# How far ahead a row may lie: a forecast, not a plan (and no partition for a far-off month).
MAX_DAYS_AHEAD = 10


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


@dataclass(frozen=True, slots=True)
class CheckedRow:
    zone_id: int
    start: datetime
    direction: str
    headroom_mw: Decimal
    level: int


@dataclass(frozen=True)
class RowRules:
    """What the rows of one publication are checked against."""

    zones: Mapping[str, tuple[int, datetime]]  # code → (zone id, first version's valid_from)
    zone_owner: str  # the operator's name, for messages
    time_zone: str
    horizon: str
    mtu_minutes: int
    now: datetime


def rows_from_csv(text: str) -> tuple[list[tuple[str, Mapping]], list[RowProblem]]:
    """(where, row) pairs of a CSV text with the columns of COLUMNS, or the header's problem.

    Separated by commas, or by semicolons (a spreadsheet's CSV where the decimal mark is a comma).
    """
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in COLUMNS if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if missing or unknown:
        return [], [
            RowProblem(
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
        ]
    reader.fieldnames = header
    rows = []
    line = _("line %(line)s")  # translated once: a day's publication has hundreds of thousands of rows
    for row in reader:
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # a blank line
        rows.append((line % {"line": reader.line_num}, row))
    return rows, []


def rows_from_json(items: Iterable) -> tuple[list[tuple[str, Mapping]], list[RowProblem]]:
    rows, problems = [], []
    for index, item in enumerate(items):
        where = f"rows[{index}]"
        if not isinstance(item, Mapping):
            problems.append(
                RowProblem(
                    where,
                    "",
                    _("Expected an object with the fields %(fields)s.")
                    % {"fields": ", ".join(COLUMNS)},
                )
            )
            continue
        unknown = sorted(set(item) - set(COLUMNS))
        problems.extend(RowProblem(where, name, _("Unknown field.")) for name in unknown)
        rows.append((where, item))
    return rows, problems


def rows_check(
    rows: list[tuple[str, Mapping]], *, rules: RowRules
) -> tuple[list[CheckedRow], list[RowProblem]]:
    """Every row checked; a row repeating an earlier one's zone, start and direction is refused.

    A day's publication repeats each start and most headrooms thousands of times: each distinct
    text is read once (`memo`), then every row with it gets the same value or message.
    """
    checked: list[CheckedRow] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[int, datetime, str], str] = {}
    memo = _Memo(rules=rules, zone=zoneinfo.ZoneInfo(rules.time_zone))
    for where, row in rows:
        row_problems: list[RowProblem] = []
        result = _row_check(where, row, rules=rules, memo=memo, problems=row_problems)
        problems.extend(row_problems)
        if result is None:
            continue
        key = (result.zone_id, result.start, result.direction)
        if key in seen:
            problems.append(
                RowProblem(
                    where,
                    "",
                    _("Duplicate row: the same zone, start and direction as %(first)s.")
                    % {"first": seen[key]},
                )
            )
            continue
        seen[key] = where
        checked.append(result)
    return checked, problems


class _Memo:
    """The start and headroom of each distinct text, as (value, message): read once each."""

    def __init__(self, *, rules: RowRules, zone) -> None:
        self.rules, self.zone = rules, zone
        self.starts: dict[str, tuple[datetime | None, str | None]] = {}
        self.headrooms: dict[str, tuple[Decimal | None, str | None]] = {}

    def start(self, text: str) -> tuple[datetime | None, str | None]:
        if text not in self.starts:
            self.starts[text] = _start(text, rules=self.rules, zone=self.zone)
        return self.starts[text]

    def headroom(self, text: str) -> tuple[Decimal | None, str | None]:
        if text not in self.headrooms:
            self.headrooms[text] = _headroom(text)
        return self.headrooms[text]


def _text(row: Mapping, name: str) -> str:
    value = row.get(name)
    if value.__class__ is str:  # a CSV's cells (most rows): no conversion
        return value.strip()
    return "" if value is None else str(value).strip()


def _row_check(
    where, row, *, rules: RowRules, memo: _Memo, problems: list[RowProblem]
) -> CheckedRow | None:
    def bad(name: str, message: str | None) -> None:
        if message:
            problems.append(RowProblem(where, name, message))

    start, message = memo.start(_text(row, "start"))
    bad("start", message)
    zone_id = _zone(_text(row, "zone"), start=start, rules=rules, bad=bad)
    direction = _text(row, "direction").lower()
    if direction not in DIRECTIONS:
        bad(
            "direction",
            _("%(value)r is not a direction: expected up or down.") % {"value": direction},
        )
    headroom, message = memo.headroom(_text(row, "headroom_mw"))
    bad("headroom_mw", message)
    level = LEVEL_BY_CODE.get(_text(row, "level").lower())
    if level is None:
        bad(
            "level",
            _("%(value)r is not a congestion level: expected none, possible, likely or certain.")
            % {"value": _text(row, "level")},
        )
    if problems:
        return None
    return CheckedRow(
        zone_id=zone_id, start=start, direction=direction, headroom_mw=headroom, level=level
    )


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


def _headroom(text: str) -> tuple[Decimal | None, str | None]:
    """(the MW, None) or (None, what is wrong)."""
    if "," in text and "." not in text:
        text = text.replace(",", ".")  # a decimal comma (a Swedish spreadsheet's CSV)
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

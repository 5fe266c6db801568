"""Bulk import of SPUs with their connection points from CSV (SPEC §5, §6, §7).

All or nothing: every row is checked, every bad row is reported with its line number,
and nothing is stored when any row is bad. Built to stream: the file is read line by
line, rows are checked and written in batches inside one transaction, and only the
identifiers seen so far (SPU codes, GSRNs) stay in memory, so 1,000,000 rows fit the
budget in SPEC §7 (≤ 5 minutes, ≤ 1 GB).
"""

from __future__ import annotations

import csv
import itertools
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.validators import validate_bidding_zone, validate_eic, validate_gsrn
from observability.geo import WGS84, parse_epsg, to_wgs84
from observability.models import ConnectionPoint, SystemOperator
from prequal.models import Fsp, Spu
from prequal.services.resources import fsp_for_user

COLUMNS = (
    "spu_code", "spu_name", "technology", "max_up_kw", "max_down_kw",
    "gsrn", "connecting_so_eic", "bidding_zone", "voltage_level", "crs", "x", "y",
)
OPTIONAL_COLUMNS = ("crs",)  # missing: every row is in EPSG:4326
REQUIRED_COLUMNS = tuple(c for c in COLUMNS if c not in OPTIONAL_COLUMNS)
# The details that describe a connection point; they may be left empty on rows whose GSRN
# is already registered (or described on an earlier row).
POINT_COLUMNS = ("x", "y", "voltage_level", "bidding_zone")
TEMPLATE_ROW = {
    "spu_code": "BAT-0001", "spu_name": "Battery Hammarby 1", "technology": "battery",
    "max_up_kw": "500", "max_down_kw": "500", "gsrn": "735999000000000013",
    "connecting_so_eic": "10X1001A1001A38Y", "bidding_zone": "SE3", "voltage_level": "lv",
    "crs": "4326", "x": "18.0686", "y": "59.3293",
}
# Rows checked and written together: one query per batch for existing codes and GSRNs.
BATCH_ROWS = 2000
# Model fields → the CSV column a person fixes.
_COLUMN_OF = {
    "code": "spu_code", "name": "spu_name", "technology": "technology",
    "max_up_kw": "max_up_kw", "max_down_kw": "max_down_kw", "gsrn": "gsrn",
    "connecting_so": "connecting_so_eic", "voltage_level": "voltage_level",
    "bidding_zone": "bidding_zone", "longitude": "x", "latitude": "y", "__all__": "",
}
# Fields the CSV does not give (or that were checked already): full_clean leaves them alone.
_NOT_FROM_CSV = (
    "id", "fsp", "connection_point", "connecting_so", "is_active", "deactivated_at",
    "created_at", "updated_at",
)
# Two descriptions of the same point closer than this (degrees, ~10 cm) are the same place.
_SAME_PLACE = 1e-6


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem: the line in the file (1 = header), the column, and what is wrong."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = _("line %(line)s") % {"line": self.line} if self.line else _("file")
        return f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass
class ImportResult:
    """What an import did (or, on a dry run, would do). Nothing is stored when `errors`."""

    rows: int = 0  # data rows read, blank lines not counted
    spus_created: int = 0
    connection_points_created: int = 0
    connection_points_reused: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return ngettext(
                "%(count)s error in %(rows)s rows; nothing was imported.",
                "%(count)s errors in %(rows)s rows; nothing was imported.",
                len(self.errors),
            ) % {"count": len(self.errors), "rows": self.rows}
        params = {
            "spus": self.spus_created,
            "points": self.connection_points_created,
            "reused": self.connection_points_reused,
        }
        if self.dry_run:
            return _(
                "Dry run: %(spus)s SPUs and %(points)s new connection points would be imported "
                "(%(reused)s registered connection points reused); nothing was stored."
            ) % params
        return _(
            "%(spus)s SPUs and %(points)s new connection points imported "
            "(%(reused)s registered connection points reused)."
        ) % params


class _Stop(Exception):
    """The file cannot be read further; the reason is already in the error list."""


class _Rollback(Exception):
    pass


_UPLOAD_LIMIT = object()


def spu_import_csv(
    *, user, fsp: Fsp, file: IO, dry_run: bool = False, progress: Callable[[int], None] | None = None,
    max_bytes: int | None | object = _UPLOAD_LIMIT,
) -> ImportResult:
    """Import SPUs (and the connection points they need) from a CSV file; all or nothing.

    `file` is a binary file object (an upload, or a file opened with "rb"). Returns an
    ImportResult: when `errors` is not empty nothing was stored. Raises PermissionDenied
    when `user` does not act for `fsp`. Rows are written as they are checked inside one
    transaction, which is rolled back when any row is bad (or on a dry run).

    Files larger than `max_bytes` are refused; the default is the upload limit
    (settings.GRIDPREQUAL_MAX_UPLOAD_BYTES), None means no limit (an operator's local file).
    """
    fsp = fsp_for_user(user=user, fsp=fsp)
    if max_bytes is _UPLOAD_LIMIT:
        max_bytes = settings.GRIDPREQUAL_MAX_UPLOAD_BYTES
    importer = _Importer(fsp=fsp, dry_run=dry_run, progress=progress, max_bytes=max_bytes)
    if dry_run:
        importer.run(file)
        return importer.result()
    try:
        with transaction.atomic():
            importer.run(file)
            if importer.errors:
                raise _Rollback
    except _Rollback:
        pass
    except IntegrityError:
        # Someone registered the same GSRN or SPU code while we were importing.
        importer.errors.append(RowError(0, "", _(
            "Some of these SPUs or connection points were registered by someone else during "
            "the import; nothing was stored. Please import the file again."
        )))
    return importer.result()


def spu_import_template_rows(*, example_so_eic: str | None = None) -> list[list[str]]:
    """The header and one example row, for the downloadable template."""
    example = dict(TEMPLATE_ROW, **({"connecting_so_eic": example_so_eic} if example_so_eic else {}))
    return [list(COLUMNS), [example[c] for c in COLUMNS]]


def _messages(exc: ValidationError) -> Iterable[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            for message in messages:
                yield _COLUMN_OF.get(name, name), message
    else:
        for message in exc.messages:
            yield "", message


def _number(raw: str) -> str:
    # A semicolon-separated file from a Swedish spreadsheet writes 12,5 for 12.5.
    return raw.replace(",", ".") if "," in raw and "." not in raw else raw


class _Importer:
    def __init__(
        self, *, fsp: Fsp, dry_run: bool, progress: Callable[[int], None] | None, max_bytes: int | None
    ) -> None:
        self.fsp = fsp
        self.max_bytes = max_bytes
        # created_at/updated_at of every row, prepared for the database once.
        self.now = Spu._meta.get_field("created_at").get_db_prep_save(timezone.now(), connection)
        self.dry_run = dry_run
        self.progress = progress
        self.errors: list[RowError] = []
        self.rows = 0
        self.spus = 0
        self.new_points = 0
        self.reused = 0
        # One query for all rows: there are a few hundred operators, not millions.
        self.so_by_eic: dict[str, int] = {}
        self.so_name: dict[int, str] = {}
        for eic, so_id, name in SystemOperator.objects.values_list(
            "organisation__eic_code", "id", "organisation__name"
        ):
            self.so_by_eic[eic] = so_id
            self.so_name[so_id] = name
        self.seen_codes: dict[str, int] = {}  # SPU code → its line
        # GSRN (as int: 18 digits, so no information lost, and smaller than a str) →
        # (line, point id, connecting SO id, voltage level, bidding zone, lon, lat).
        # line 0: registered before this import, not yet used; -1: registered, used.
        self.points: dict[int, tuple] = {}
        self.epsg_cache: dict[str, int | ValidationError] = {}
        self.spu_probe = Spu(fsp_id=fsp.pk, connection_point_id=None)
        self.point_probe = ConnectionPoint(connecting_so_id=None)
        self.choices_technology = {v for v, _label in Spu.Technology.choices}
        self.choices_voltage = {v for v, _label in ConnectionPoint.VoltageLevel.choices}

    def error(self, line: int, column: str, message) -> None:
        self.errors.append(RowError(line, column, str(message)))

    def result(self) -> ImportResult:
        ok = not self.errors
        return ImportResult(
            rows=self.rows,
            spus_created=self.spus if ok else 0,
            connection_points_created=self.new_points if ok else 0,
            connection_points_reused=self.reused if ok else 0,
            dry_run=self.dry_run,
            errors=self.errors,
        )

    # Reading -----------------------------------------------------------------------------

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
            values = {name: cell.strip() for name, cell in zip(header, row, strict=True)}
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

    # Checking and writing ----------------------------------------------------------------

    def _batch(self, batch: list[tuple[int, dict[str, str]]]) -> None:
        for _line, values in batch:
            values.setdefault("crs", "")
        codes = {v["spu_code"] for _line, v in batch if v["spu_code"]}
        registered_codes = {
            code for (code,) in _where_in(Spu, ("code",), key="code", values=codes, fsp=self.fsp.pk)
        } if codes else set()
        unseen = {
            v["gsrn"] for _line, v in batch
            if len(v["gsrn"]) == 18 and v["gsrn"].isascii() and v["gsrn"].isdigit()
            and int(v["gsrn"]) not in self.points
        }
        if unseen:
            for gsrn, point_id, so_id in _where_in(
                ConnectionPoint, ("gsrn", "id", "connecting_so"), key="gsrn", values=unseen
            ):
                self.points[int(gsrn)] = (0, point_id, so_id, None, None, None, None)

        new_points: list[tuple] = []
        spus: list[tuple[tuple, int]] = []
        for line, values in batch:
            before = len(self.errors)
            spu = self._check_spu(line, values, registered_codes)
            so_id = self._check_so(line, values)
            gsrn = self._check_gsrn(line, values)
            if gsrn is not None and so_id is not None:
                self._check_point(line, values, gsrn, so_id, new_points)
            if len(self.errors) == before:
                spus.append((spu, gsrn))
        self.spus += len(spus)
        self.new_points += len(new_points)
        if not self.dry_run and not self.errors:
            self._write(new_points, spus)
        if self.progress is not None:
            self.progress(self.rows)

    def _write(self, new_points: list[tuple], spus: list[tuple[tuple, int]]) -> None:
        if new_points:
            _insert(ConnectionPoint, [(*p, self.now, self.now) for p in new_points], columns=_POINT_INSERT)
            # One query per batch for the new ids (executemany returns none).
            for gsrn, point_id in _where_in(
                ConnectionPoint, ("gsrn", "id"), key="gsrn", values=[p[0] for p in new_points]
            ):
                key = int(gsrn)
                self.points[key] = (self.points[key][0], point_id, *self.points[key][2:])
        _insert(Spu, [
            (self.fsp.pk, self.points[gsrn][1], *spu, True, None, self.now, self.now)
            for spu, gsrn in spus
        ], columns=_SPU_INSERT)

    def _check_spu(self, line: int, v: dict[str, str], registered_codes: set[str]) -> tuple | None:
        """The row's (code, name, technology, max up, max down), checked by Spu.full_clean."""
        code = v["spu_code"]
        if code:
            first_line = self.seen_codes.get(code)
            if first_line is not None:
                self.error(line, "spu_code", _(
                    "The SPU code %(code)s is already used on line %(line)s of this file; "
                    "each SPU must appear once."
                ) % {"code": code, "line": first_line})
            elif code in registered_codes:
                self.error(line, "spu_code", _(
                    "%(fsp)s already has an SPU with the code %(code)s; "
                    "change it in the SPU's page, or use a new code."
                ) % {"fsp": self.fsp, "code": code})
            else:
                self.seen_codes[code] = line
        technology = v["technology"].lower()
        exclude = [*_NOT_FROM_CSV]
        if technology not in self.choices_technology:
            self.error(line, "technology", _(
                "\"%(value)s\" is not a technology: expected one of %(choices)s."
            ) % {"value": v["technology"], "choices": ", ".join(sorted(self.choices_technology))})
            exclude.append("technology")
        # One model instance checks every row: building a model per row costs more than checking it.
        spu = self.spu_probe
        spu.code, spu.name, spu.technology = code, v["spu_name"], technology
        spu.max_up_kw, spu.max_down_kw = _number(v["max_up_kw"]), _number(v["max_down_kw"])
        try:
            # Uniqueness is checked above per batch, constraints by the validators: no query per row.
            spu.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for column, message in _messages(exc):
                self.error(line, column, message)
            return None
        return (spu.code, spu.name, spu.technology, spu.max_up_kw, spu.max_down_kw)

    def _check_so(self, line: int, v: dict[str, str]) -> int | None:
        eic = v["connecting_so_eic"].upper()
        if eic in self.so_by_eic:  # a registered operator's code has passed validate_eic
            return self.so_by_eic[eic]
        if not eic:
            self.error(line, "connecting_so_eic", _(
                "Missing: give the EIC code of the system operator the point connects to."
            ))
            return None
        try:
            validate_eic(eic)
        except ValidationError as exc:
            self.error(line, "connecting_so_eic", exc.messages[0])
            return None
        so_id = self.so_by_eic.get(eic)
        if so_id is None:
            self.error(line, "connecting_so_eic", _(
                "No system operator has the EIC code %(eic)s."
            ) % {"eic": eic})
        return so_id

    def _check_gsrn(self, line: int, v: dict[str, str]) -> int | None:
        gsrn = v["gsrn"]
        if not gsrn:
            self.error(line, "gsrn", _("Missing: give the connection point's 18-digit GSRN."))
            return None
        try:
            validate_gsrn(gsrn)
        except ValidationError as exc:
            self.error(line, "gsrn", exc.messages[0])
            return None
        return int(gsrn)

    def _check_point(
        self, line: int, v: dict[str, str], gsrn: int, so_id: int, new_points: list[tuple]
    ) -> None:
        known = self.points.get(gsrn)
        gsrn_text = v["gsrn"]
        if known is None:
            details = self._point_details(line, v, gsrn_text)
            if details is None:
                return
            voltage, zone, lon, lat = details
            point = self.point_probe
            point.gsrn, point.connecting_so_id = gsrn_text, so_id
            point.longitude, point.latitude = lon, lat
            point.voltage_level, point.bidding_zone = voltage, zone
            try:
                point.full_clean(  # the GSRN's validator already ran in _check_gsrn
                    exclude=[*_NOT_FROM_CSV, "gsrn"], validate_unique=False, validate_constraints=False
                )
            except ValidationError as exc:
                for column, message in _messages(exc):
                    self.error(line, column, message)
                return
            self.points[gsrn] = (line, None, so_id, voltage, zone, lon, lat)
            new_points.append((gsrn_text, so_id, lat, lon, voltage, zone))
            return

        first_line, point_id, known_so, *known_details = known
        if known_so != so_id:
            if first_line <= 0:
                message = _(
                    "Connection point %(gsrn)s is registered with %(so)s, not %(given)s."
                )
            else:
                message = _(
                    "Connection point %(gsrn)s is connected to %(so)s on line %(line)s, "
                    "not %(given)s: a point has one connecting operator."
                )
            self.error(line, "connecting_so_eic", message % {
                "gsrn": gsrn_text, "so": self.so_name[known_so], "given": self.so_name[so_id],
                "line": first_line,
            })
            return
        if first_line == 0:
            self.reused += 1
            self.points[gsrn] = (-1, *known[1:])
            return
        if first_line < 0 or not any(v[c] for c in POINT_COLUMNS):
            # Registered points keep their details (as in connection_point_get_or_create);
            # a repeated row may leave the details empty.
            return
        details = self._point_details(line, v, gsrn_text)
        if details is None:
            return
        names = ("voltage_level", "bidding_zone", "x", "y")
        for name, mine, theirs in zip(names, details, known_details, strict=True):
            same = abs(mine - theirs) <= _SAME_PLACE if name in ("x", "y") else mine == theirs
            if not same:
                self.error(line, name, _(
                    "Connection point %(gsrn)s is described differently on line %(line)s "
                    "(%(column)s); every row of a point must give the same details."
                ) % {"gsrn": gsrn_text, "line": first_line, "column": name})

    def _point_details(
        self, line: int, v: dict[str, str], gsrn: str
    ) -> tuple[str, str, float, float] | None:
        """(voltage level, bidding zone, longitude, latitude), or None with errors recorded."""
        before = len(self.errors)
        for name in POINT_COLUMNS:
            if not v[name]:
                self.error(line, name, _(
                    "Missing: needed to register the new connection point %(gsrn)s."
                ) % {"gsrn": gsrn})
        voltage = sys.intern(v["voltage_level"].lower())  # a handful of values, millions of rows
        if voltage and voltage not in self.choices_voltage:
            self.error(line, "voltage_level", _(
                "\"%(value)s\" is not a voltage level: expected one of %(choices)s."
            ) % {"value": v["voltage_level"], "choices": ", ".join(sorted(self.choices_voltage))})
        zone = sys.intern(v["bidding_zone"].upper())
        if zone:
            try:
                validate_bidding_zone(zone)
            except ValidationError as exc:
                self.error(line, "bidding_zone", exc.messages[0])
        epsg = self._epsg(line, v["crs"])
        coordinates = []
        for name in ("x", "y"):
            if not v[name]:
                continue
            try:
                coordinates.append(float(_number(v[name])))
            except ValueError:
                self.error(line, name, _("\"%(value)s\" is not a number.") % {"value": v[name]})
        if len(self.errors) > before or epsg is None:
            return None
        try:
            lon, lat = to_wgs84(x=coordinates[0], y=coordinates[1], epsg=epsg)
        except ValidationError as exc:
            if epsg != WGS84:
                column = "x, y"
            else:
                column = "y" if -180 <= coordinates[0] <= 180 else "x"
            self.error(line, column, exc.messages[0] + " " + (
                _("For EPSG:4326, x is the longitude and y the latitude.") if epsg == WGS84
                else _("For EPSG:%(epsg)s, x is the easting and y the northing.") % {"epsg": epsg}
            ))
            return None
        return voltage, zone, lon, lat

    def _epsg(self, line: int, raw: str) -> int | None:
        if not raw:
            return WGS84
        cached = self.epsg_cache.get(raw)
        if cached is None:
            try:
                cached = parse_epsg(raw)
            except ValidationError as exc:
                cached = exc
            self.epsg_cache[raw] = cached
        if isinstance(cached, ValidationError):
            self.error(line, "crs", cached.messages[0])
            return None
        return cached


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


_POINT_INSERT = (
    "gsrn", "connecting_so", "latitude", "longitude", "voltage_level", "bidding_zone",
    "created_at", "updated_at",
)
_SPU_INSERT = (
    "fsp", "connection_point", "code", "name", "technology", "max_up_kw", "max_down_kw",
    "is_active", "deactivated_at", "created_at", "updated_at",
)


def _insert(model, rows: list[tuple], *, columns: tuple[str, ...]) -> None:
    """INSERT the rows (COPY on PostgreSQL); the values are already checked by full_clean.

    Django's bulk_create prepares every value through its field in Python, which costs more
    than the rest of the import together (0.25 ms a row: 250 s for SPEC §7's million rows).
    The values here are plain str, int, float, Decimal, bool and one prepared timestamp, which
    both SQLite and psycopg take as they are.
    """
    fields = [f.name for f in model._meta.concrete_fields if not f.primary_key]
    if sorted(fields) != sorted(columns):
        # A new model field must be added here, not silently left out.
        raise RuntimeError(f"{model.__name__} has fields {fields}; the import writes {columns}")
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(model._meta.get_field(name).column) for name in columns),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY is several times faster than executemany on PostgreSQL (SPEC §7's budget).
            copy_sql = "COPY {} ({}) FROM STDIN".format(
                quote(model._meta.db_table),
                ", ".join(quote(model._meta.get_field(name).column) for name in columns),
            )
            with cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(sql, rows)


def _where_in(model, fields: tuple[str, ...], *, key: str, values: Iterable, **equal) -> list[tuple]:
    """values_list(*fields) of the rows whose `key` is one of `values` (and `equal`): one query.

    On PostgreSQL as `key = ANY(%s)` with the values as one array: psycopg parses a query of
    2,000 placeholders in Python, 38 ms against 6 ms, which is 50 s over a million rows.
    """
    if connection.vendor != "postgresql":
        lookups = {f"{key}__in": list(values), **{f"{name}_id" if model._meta.get_field(name).is_relation
                                                  else name: value for name, value in equal.items()}}
        return list(model.objects.filter(**lookups).values_list(*fields))
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        return quote(model._meta.get_field(name).column)

    where = [f"{column(key)} = ANY(%s)", *(f"{column(name)} = %s" for name in equal)]
    sql = "SELECT {} FROM {} WHERE {}".format(
        ", ".join(column(name) for name in fields), quote(model._meta.db_table), " AND ".join(where)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(values), *equal.values()])
        return cursor.fetchall()

"""Checking one row: its SPU, connecting operator, GSRN and connection point (with its CRS).

_RowChecks is the half of _Importer (prequal.imports.importer) that checks rows; every
problem is recorded with `self.error` and the row is left out.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from common.validators import validate_bidding_zone, validate_eic, validate_gsrn
from observability.geo import WGS84, parse_epsg, to_wgs84
from prequal.imports.columns import POINT_COLUMNS
from prequal.services.resources import connection_point_refused_message

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


def _messages(exc: ValidationError) -> Iterable[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            for message in messages:
                yield _COLUMN_OF.get(name, name), message
    else:
        for message in exc.messages:
            yield "", message


class _RowChecks:
    def _number(self, line: int, v: dict[str, str], name: str, exclude: list[str]) -> str:
        """The column's number with a decimal point (common.csv_in: one decimal mark per file)."""
        value, problem = self.csv_in.number(v[name], line=line)
        if problem:
            self.error(line, name, problem)
            exclude.append(name)
        return value

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
        before = len(self.errors)
        spu.max_up_kw = self._number(line, v, "max_up_kw", exclude)
        spu.max_down_kw = self._number(line, v, "max_down_kw", exclude)
        try:
            # Uniqueness is checked above per batch, constraints by the validators: no query per row.
            spu.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for column, message in _messages(exc):
                self.error(line, column, message)
            return None
        if len(self.errors) > before:  # a number's decimal mark was unclear
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
        if known is None:
            self._check_new_point(line, v, gsrn, so_id, new_points)
            return
        first_line, _point_id, known_so, *known_details = known
        if _point_id in self.foreign_points:  # another FSP's point: said as the form says it
            return self.error(line, "gsrn", connection_point_refused_message(gsrn=v["gsrn"]))
        if known_so != so_id:
            self._other_operator(line, v["gsrn"], first_line=first_line, known_so=known_so, so_id=so_id)
            return
        if first_line == 0:
            self.reused += 1
            self.points[gsrn] = (-1, *known[1:])
            return
        if first_line < 0 or not any(v[c] for c in POINT_COLUMNS):
            # Registered points keep their details (as in connection_point_get_or_create);
            # a repeated row may leave the details empty.
            return
        self._check_same_details(line, v, first_line=first_line, known_details=known_details)

    def _check_new_point(
        self, line: int, v: dict[str, str], gsrn: int, so_id: int, new_points: list[tuple]
    ) -> None:
        """A point first met on this line: its details, checked as the model would."""
        gsrn_text = v["gsrn"]
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
        self.point_checks.row_problems(  # the form's and API's plausibility (observability.points)
            so_id=so_id, lon=lon, lat=lat, bidding_zone=zone, error=lambda c, m: self.error(line, c, m))
        self.points[gsrn] = (line, None, so_id, voltage, zone, lon, lat)
        new_points.append((gsrn_text, so_id, lat, lon, voltage, zone))

    def _other_operator(
        self, line: int, gsrn_text: str, *, first_line: int, known_so: int, so_id: int
    ) -> None:
        """A point has one connecting operator: refuse a line naming another."""
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

    def _check_same_details(
        self, line: int, v: dict[str, str], *, first_line: int, known_details: list
    ) -> None:
        """Every row of a point must give the same details as its first row."""
        details = self._point_details(line, v, v["gsrn"])
        if details is None:
            return
        names = ("voltage_level", "bidding_zone", "x", "y")
        for name, mine, theirs in zip(names, details, known_details, strict=True):
            same = abs(mine - theirs) <= _SAME_PLACE if name in ("x", "y") else mine == theirs
            if not same:
                self.error(line, name, _(
                    "Connection point %(gsrn)s is described differently on line %(line)s "
                    "(%(column)s); every row of a point must give the same details."
                ) % {"gsrn": v["gsrn"], "line": first_line, "column": name})

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
            value, problem = self.csv_in.number(v[name], line=line)
            if problem:
                self.error(line, name, problem)
                continue
            try:
                coordinates.append(float(value))
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

"""_Importer: one import's state, and each batch of rows checked, then written.

Reading the file is in prequal.imports.reading, the checks of a row in prequal.imports.checks,
the SQL in prequal.imports.sql.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from observability.models import ConnectionPoint, SystemOperator
from observability.points import PointChecks
from prequal.imports.checks import _RowChecks
from prequal.imports.reading import _Reading
from prequal.imports.results import ImportResult, RowError
from prequal.imports.sql import rows_where_in
from prequal.imports.staging import ImportStaging
from prequal.models import Fsp, Spu
from prequal.selectors.resources import connection_points_foreign


class _Importer(_Reading, _RowChecks):
    def __init__(
        self, *, fsp: Fsp, dry_run: bool, progress: Callable[[int], None] | None, max_bytes: int | None,
        staging: ImportStaging | None = None,
    ) -> None:
        self.fsp = fsp
        self.staging = staging  # where checked rows wait for the swap; None on a dry run
        self.max_bytes = max_bytes
        # created_at/updated_at of every row, prepared for the database once.
        self.started_at = timezone.now()  # the new rows' created_at
        self.now = Spu._meta.get_field("created_at").get_db_prep_save(self.started_at, connection)
        self.dry_run = dry_run
        self.progress = progress
        self.errors: list[RowError] = []
        self.csv_in = None  # the reader (common.csv_in.CsvIn), once reading began
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
        self.foreign_points: set[int] = set()  # ids of registered points of other FSPs
        self.point_checks = PointChecks()
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
            read_as=self.csv_in.description() if self.csv_in is not None else "",
        )

    # Checking and writing ----------------------------------------------------------------

    def _batch(self, batch: list[tuple[int, dict[str, str]]]) -> None:
        for _line, values in batch:
            values.setdefault("crs", "")
        codes = {v["spu_code"] for _line, v in batch if v["spu_code"]}
        registered_codes = {
            code for (code,) in rows_where_in(Spu, ("code",), key="code", values=codes, fsp=self.fsp.pk)
        } if codes else set()
        unseen = {
            v["gsrn"] for _line, v in batch
            if len(v["gsrn"]) == 18 and v["gsrn"].isascii() and v["gsrn"].isdigit()
            and int(v["gsrn"]) not in self.points
        }
        if unseen:
            for gsrn, point_id, so_id in rows_where_in(
                ConnectionPoint, ("gsrn", "id", "connecting_so"), key="gsrn", values=unseen
            ):
                self.points[int(gsrn)] = (0, point_id, so_id, None, None, None, None)
            self.foreign_points |= connection_points_foreign(fsp_id=self.fsp.pk, point_ids=[
                self.points[int(g)][1] for g in unseen if int(g) in self.points])

        new_points: list[tuple] = []
        spus: list[tuple[int, tuple, int]] = []
        for line, values in batch:
            before = len(self.errors)
            spu = self._check_spu(line, values, registered_codes)
            so_id = self._check_so(line, values)
            gsrn = self._check_gsrn(line, values)
            if gsrn is not None and so_id is not None:
                self._check_point(line, values, gsrn, so_id, new_points)
            if len(self.errors) == before:
                spus.append((line, spu, gsrn))
        self.spus += len(spus)
        self.new_points += len(new_points)
        if self.staging is not None and not self.errors:
            self.staging.add(points=new_points, spus=[
                (line, f"{gsrn:018d}", *spu) for line, spu, gsrn in spus
            ])
        if self.progress is not None:
            self.progress(self.rows)

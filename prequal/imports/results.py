"""What an import reports: each problem (RowError) and the outcome (ImportResult)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


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
    read_as: str = ""  # how the file was read (common.csv_in): encoding, separator, decimal mark

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            rows = ngettext("%(count)s row", "%(count)s rows", self.rows) % {"count": self.rows}
            return ngettext(
                "%(count)s error in %(rows)s; nothing was imported.",
                "%(count)s errors in %(rows)s; nothing was imported.",
                len(self.errors),
            ) % {"count": len(self.errors), "rows": rows}
        spus = ngettext("%(count)s SPU", "%(count)s SPUs", self.spus_created) % {
            "count": self.spus_created
        }
        points = ngettext(
            "%(count)s new connection point", "%(count)s new connection points",
            self.connection_points_created,
        ) % {"count": self.connection_points_created}
        reused = ngettext(
            "%(count)s registered connection point reused", "%(count)s registered connection points reused",
            self.connection_points_reused,
        ) % {"count": self.connection_points_reused}
        params = {"spus": spus, "points": points, "reused": reused}
        if self.dry_run:
            return _(
                "Dry run: %(spus)s and %(points)s would be imported (%(reused)s); nothing was stored."
            ) % params
        return _("%(spus)s and %(points)s imported (%(reused)s).") % params

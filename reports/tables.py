"""The report's table: what the builder and its sections make and every renderer reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

Value = int | float | str | None


@dataclass(frozen=True)
class Table:
    """One table of the report. `rows()` gives a fresh iterator each time it is called."""

    key: str  # machine name: the CSV's `table` column and the XLSX sheet name
    title: str
    columns: list[str]
    rows: Callable[[], Iterator[list[Value]]]
    # How wide each column is relative to the others (the PDF's layout).
    widths: list[float] = field(default_factory=list)

"""Lists you can sort, search and export: one toolkit for every list page.

A list declares its columns once (`ListSpec`): the header on the page, the sort key (a
whitelist: only declared keys sort), and the cell in the CSV/XLSX export. A view takes the
selector's scoped queryset and calls `listing_apply()`, which reads `?q=` (search), `?sort=`
(`key` or `-key`) and `?export=` (csv, csv-excel, xlsx) from the request:

    listing = listing_apply(request, qs, spec=SPU_LIST, form=form)
    if listing.export:
        return listing_export(listing)

An unknown sort key keeps the selector's order and says so on the page (never a 500). Search
is case-insensitive over the spec's fields, through the ORM's parameters and LIKE escaping, so
a search string with SQL or `%` in it matches literally, and templates escape it as any text.
The export holds every row of the current filter and search (not just the page), through the
same scoped queryset as the page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.exports import csv_response, csv_variant, xlsx_response

SEARCH_MAX_LENGTH = 100
EXPORT_FORMATS = ("csv", "csv-excel", "xlsx")
# Parameters the toolkit reads itself; every other parameter is a filter and is kept.
OWN_PARAMETERS = ("q", "sort", "page", "export")
# Rows read from the database at a time while exporting (one query per chunk, flat memory).
EXPORT_CHUNK = 2000


@dataclass(frozen=True)
class Column:
    """One column: `label` on the page and in the export's header, `order` the fields a sort by
    `key` orders on (empty: not sortable), `value` the export cell (None: page only)."""

    key: str
    label: Any  # a lazy translation
    order: tuple[str, ...] = ()
    value: Callable[[Any], Any] | None = None
    page: bool = True  # False: export only (the page shows it inside another column)
    css: str = ""  # the header cell's class on the page ("num" for numbers)

    @property
    def sortable(self) -> bool:
        return bool(self.order)


@dataclass(frozen=True)
class ListSpec:
    name: str  # the download's file name: gridprequal-<name>-<date>
    columns: tuple[Column, ...]
    search: tuple[str, ...] = ()  # ORM lookups, e.g. "code__icontains", "connection_point__gsrn__startswith"
    search_help: Any = ""

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key and c.sortable), None)


@dataclass
class Header:
    label: Any
    key: str
    sortable: bool
    active: bool
    descending: bool
    css: str = ""

    @property
    def next_sort(self) -> str:
        """The sort a click asks for: ascending first, then descending."""
        return f"-{self.key}" if self.active and not self.descending else self.key


@dataclass
class Listing:
    spec: ListSpec
    queryset: QuerySet
    search: str = ""
    sort: str = ""  # as asked, when it is valid ("" for the selector's order)
    error: str = ""
    export: str = ""
    hidden: list[tuple[str, str]] = field(default_factory=list)  # filters the search form keeps
    search_box: bool = False  # the toolkit draws the search box (the filter form has no `q` of its own)

    @property
    def headers(self) -> list[Header]:
        key, descending = self.sort.lstrip("-"), self.sort.startswith("-")
        return [
            Header(label=c.label, key=c.key, sortable=c.sortable, active=c.sortable and c.key == key,
                   descending=descending, css=c.css)
            for c in self.spec.columns if c.page
        ]

    def rows(self) -> Iterator[list]:
        """The export: the header, then one row per object of the whole filtered queryset."""
        columns = [c for c in self.spec.columns if c.value is not None]
        yield [str(c.label) for c in columns]
        for obj in self.queryset.iterator(chunk_size=EXPORT_CHUNK):
            yield [c.value(obj) for c in columns]


def search_filter(*, text: str, lookups: tuple[str, ...]) -> Q:
    """Any of the lookups matching the text (parameters, never SQL: the text is just text)."""
    return reduce(or_, (Q(**{lookup: text}) for lookup in lookups))


def _order(column: Column, *, descending: bool) -> list:
    return [F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True)
            for name in column.order]


def listing_apply(request: HttpRequest, queryset: QuerySet, *, spec: ListSpec, form=None) -> Listing:
    """The queryset searched and sorted as the request asks; see the module's docstring."""
    listing = Listing(spec=spec, queryset=queryset)
    params = request.GET
    listing.search = params.get("q", "").strip()[:SEARCH_MAX_LENGTH]
    if listing.search and spec.search:
        listing.queryset = listing.queryset.filter(search_filter(text=listing.search, lookups=spec.search))
    asked = params.get("sort", "").strip()
    if asked:
        column = spec.column(asked.lstrip("-"))
        if column is None:
            listing.error = _(
                "This list cannot be sorted by “%(key)s”: click a column header to sort. "
                "Shown in the default order."
            ) % {"key": asked[:50]}
        else:
            listing.sort = asked
            # The primary key last: a stable order, so pages neither repeat nor skip rows.
            listing.queryset = listing.queryset.order_by(
                *_order(column, descending=asked.startswith("-")), "pk"
            )
    export = params.get("export", "")
    listing.export = export if export in EXPORT_FORMATS else ""
    form_fields = set(form.fields) if form is not None else set()
    listing.search_box = bool(spec.search) and "q" not in form_fields
    listing.hidden = [
        (name, value) for name in params
        if name not in form_fields and name not in ("q", "page", "export")
        and not (name == "sort" and not listing.sort)
        for value in params.getlist(name)
    ]
    return listing


def listing_export(listing: Listing) -> HttpResponse:
    """The whole filtered list as CSV (plain or for Excel) or XLSX; named by list and local date."""
    filename = f"gridprequal-{listing.spec.name}-{timezone.localdate().isoformat()}"
    if listing.export == "xlsx":
        return xlsx_response(listing.rows(), filename=filename, sheet=listing.spec.name)
    return csv_response(listing.rows(), filename=filename, variant=csv_variant(listing.export))

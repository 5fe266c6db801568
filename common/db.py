"""Raw reads for hot paths: rows as tuples, and on PostgreSQL through prepared statements.

Rows come as the driver returns them: on SQLite, datetimes are text and decimals floats, so
callers pass such columns through `as_aware` and `as_decimal` (no-ops on PostgreSQL's values).

Django's PostgreSQL backend binds parameters on the client (psycopg's ClientCursor), so the
server plans every statement again; for the activation check (SPEC §7: a market platform asks
per bid) the planning cost more than running the indexed lookups. `fetch_all` runs a statement
on a server-side-binding cursor of the same connection with `prepare=True`: psycopg prepares it
once per connection and reuses the plan. Everything else Django does for a cursor still happens:
the connection health check, errors wrapped into django.db errors (so a broken connection is
closed at the end of the request), and the statement logged when queries are captured
(`CaptureQueriesContext`, DEBUG).

Not for use behind a transaction-pooling PgBouncer without `max_prepared_statements`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache

import psycopg
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections
from django.db.models import F, Field, Lookup, Model, QuerySet
from django.db.models.base import ModelState
from django.db.models.constants import OnConflict
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

NEVER_BY_COUNT = 2**31 - 1  # psycopg's threshold for preparing a statement after N runs
_recording = threading.local()
# The prepared-statement cursor of this thread's connection (Django keeps one connection per
# thread): kept here, not on Django's connection object, and made anew when the connection is.
_prepared = threading.local()


@contextmanager
def fetch_all_recorded() -> Iterator[list[tuple[str, list]]]:
    """While open, every `fetch_all` of this thread appends its (sql, params) to the list it gives.

    Read by bench/activation_bench.py: its floor replays the check's statements bare, as prepared here.
    """
    previous = getattr(_recording, "statements", None)
    _recording.statements = recorded = []
    try:
        yield recorded
    finally:
        _recording.statements = previous


def fetch_all(
    sql: str, params: Sequence = (), *, columns: Sequence[Field | None] = (), binary: bool = False
) -> list[list]:
    """The rows of one SELECT (`%s` placeholders), prepared on PostgreSQL.

    `columns` gives the model field each leading column holds (None: leave it as it comes);
    their values are converted as the ORM would (on SQLite datetimes come as text, decimals as
    floats, on both JSON as text).

    `binary`: on PostgreSQL the rows come in binary format, read by psycopg's C loaders (Django
    reads timestamptz text in Python: a few hundred rows of timestamps cost milliseconds); the
    values are the same (aware datetimes in UTC, Decimals). For reads of many rows of plain
    columns (numbers, text, timestamps); not for JSON columns.
    """
    recorded = getattr(_recording, "statements", None)
    if recorded is not None:
        recorded.append((sql, list(params)))
    # The thread's connection itself: each attribute read through django.db.connection (a proxy
    # over a thread-local) costs a lookup, and a statement reads a dozen (SPEC §7: per bid).
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        with db.cursor() as django_cursor:
            # As RawQuerySet does: datetimes and decimals in the backend's own text form.
            django_cursor.execute(sql, [db.ops.adapt_unknown_value(p) for p in params])
            rows = django_cursor.fetchall()
    else:
        started = time.monotonic()
        try:
            rows = _run_prepared(db, sql, params, binary)
        except OperationalError:
            # A persistent connection the server dropped (a restart, an idle timeout): Django's
            # per-request health check would have found it with an extra round trip on every
            # request; here it is found when it fails. Outside a transaction a read can simply
            # be sent again on a new connection.
            if db.in_atomic_block or (db.connection is not None and db.is_usable()):
                raise
            db.close()
            rows = _run_prepared(db, sql, params, binary)
        if db.queries_logged:
            logged = db.ops.compose_sql(sql, params)
            db.queries_log.append({"sql": logged, "time": f"{time.monotonic() - started:.3f}"})
    converters = _converters(tuple(columns), db.vendor) if columns else ()
    if not converters:
        return [list(row) for row in rows]
    converted = []
    for row in rows:
        values = list(row)
        for i, functions, expression in converters:
            value = values[i]
            for function in functions:
                value = function(value, expression, db)
            values[i] = value
        converted.append(values)
    return converted


def _run_prepared(db, sql: str, params: Sequence, binary: bool = False) -> list[tuple]:
    with db.wrap_database_errors:  # psycopg's errors as django.db's; marks a broken connection
        cursor = _prepared_cursor(db)
        cursor.execute(sql, params, prepare=True, binary=binary)
        return cursor.fetchall()


def _prepared_cursor(db) -> psycopg.Cursor:
    """A server-side-binding cursor on the thread's connection, made once per connection.

    psycopg keeps the prepared statements on the connection itself: a new connection (after
    CONN_MAX_AGE, or a dropped one) gets a new cursor and prepares its statements again.

    What `connection.cursor()` does first is done here too, but the health check: connecting if
    needed, refusing use from another thread. The per-request health check (CONN_HEALTH_CHECKS)
    is counted as done: fetch_all replaces a dropped connection when a statement fails on it.
    """
    db.health_check_done = True
    if db.connection is None:
        db.ensure_connection()
    db.validate_thread_sharing()
    raw = db.connection
    cursor = getattr(_prepared, "cursor", None)
    if cursor is None or cursor.connection is not raw or cursor.closed:
        if raw.prepare_threshold is None:  # Django leaves it off: on, for `prepare=True` only
            raw.prepare_threshold = NEVER_BY_COUNT
        cursor = _prepared.cursor = psycopg.Cursor(raw)
    return cursor


@cache
def _converters(columns: tuple[Field | None, ...], vendor: str) -> tuple:
    found = []
    for i, field in enumerate(columns):
        if field is None:
            continue
        expression = field.get_col(field.model._meta.db_table)
        functions = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        if functions:
            found.append((i, tuple(functions), expression))
    return tuple(found)


@cache
def model_columns(model: type[Model], attnames: tuple[str, ...]) -> tuple[Field, ...]:
    """The fields of `model` with these attnames (e.g. "spu_id"), in this order."""
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    return tuple(by_attname[name] for name in attnames)


def instance(model: type[Model], attnames: tuple[str, ...], values: Sequence) -> Model:
    """A model instance from converted values of these fields (the others deferred), as the ORM
    builds one; `attnames` must follow the model's field order.

    Built as Model.from_db builds it (the values set as attributes, the others left to their
    deferred-loading descriptors, `_state` not adding, on this database) but without calling
    Model.__init__, whose generic argument handling and pre_init/post_init signals cost more
    than the rules that read the instance (SPEC §7: the activation check builds a few per
    answer). Only where nothing can tell: no receiver of those signals for the model, and every
    field set is a plain column attribute; otherwise Model.from_db itself."""
    if not _plain(model, attnames) or pre_init.has_listeners(model) or post_init.has_listeners(model):
        return model.from_db(connection.alias, attnames, values)
    new = model.__new__(model)
    state = new._state = ModelState()
    state.adding, state.db = False, connection.alias
    new.__dict__.update(zip(attnames, values, strict=False))  # as from_db: the leading values
    return new


@cache
def _plain(model: type[Model], attnames: tuple[str, ...]) -> bool:
    """Whether every one of these attributes is a plain column (a non-data descriptor: setting it
    is writing the instance's dict, as Model.__init__ does)."""
    return all(type(model.__dict__.get(name)) in _PLAIN for name in attnames)


_PLAIN = (DeferredAttribute, ForeignKeyDeferredAttribute)


def rows_insert_select(model: type[Model], columns: tuple[str, ...], rows: QuerySet) -> None:
    """INSERT INTO `model`'s table the rows `rows` selects (values_list in `columns`' order), in
    one statement, skipping rows already there (ON CONFLICT DO NOTHING / INSERT OR IGNORE)."""
    ops = connection.ops
    sql, params = rows.query.sql_with_params()
    names = ", ".join(ops.quote_name(model._meta.get_field(name).column) for name in columns)
    suffix = ops.on_conflict_suffix_sql(None, OnConflict.IGNORE, None, None)
    with connection.cursor() as cursor:
        cursor.execute(
            f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} {ops.quote_name(model._meta.db_table)} "
            f"({names}) SELECT * FROM ({sql}) picked {suffix}",
            params,
        )


class _AnyOf(Lookup):
    """`column = ANY(%s)` with the values as one array on PostgreSQL (psycopg parses a statement
    of 10,000 placeholders in Python, and Django resolves each one), `IN (…)` elsewhere."""

    lookup_name = "any_of"  # not registered: made by values_in()
    prepare_rhs = False

    def get_prep_lookup(self):
        return list(self.rhs)

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", (*lhs_params, self.rhs)
        if not self.rhs:
            return "1 = 0", tuple(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", (*lhs_params, *self.rhs)


def values_in(field: str, values) -> Lookup:
    """A filter for `field` among `values` (a few thousand ids): use in filter() or Q() as
    `field__in`, without a placeholder per value on PostgreSQL."""
    return _AnyOf(F(field), sorted(set(values)))

"""The indexes the hot queries need are the ones PostgreSQL uses (SPEC §7, issue 7).

A bulk data set (40,000 cases, 20,000 SPUs and 120,000 assessments across 60 operators and
four years, loaded once for the module with INSERT ... SELECT generate_series, then ANALYZE)
makes the planner choose between the indexes and a sequential scan for real. Each test runs
the real selector or service, captures the SQL it sends, runs EXPLAIN (FORMAT JSON) on it and
walks the plan: the intended index is used, and the big table is never read with a Seq Scan.

PostgreSQL only (the `postgres` pass of `make test`).
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from psycopg import sql as pgsql

from accounts.models import Membership
from prequal.models import Assessment, Spu, SpuReader
from prequal.services.readers import so_readers_rebuild
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

BASE = 1_000_000  # explicit ids far above anything the sequences hand out to the cast
OPERATORS = 60  # 1 TSO + 59 DSOs
FSPS = 20
SPUS = 20_000
CASES = 40_000  # one per SPU and product: 2 products
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)

# Each case is assessed by the TSO, the SPU's connecting DSO and a neighbouring DSO: 120,000
# assessments. Statuses by case number: about a quarter open (pending or waiting for
# information), the rest decided over four years, some cancelled.
LOAD = f"""
INSERT INTO accounts_organisation (id, created_at, updated_at, name, kind, eic_code, country)
SELECT {BASE} + i, now(), now(), 'Bulk SO ' || i, 'system_operator', NULL, 'SE'
FROM generate_series(1, {OPERATORS}) i;
INSERT INTO accounts_organisation (id, created_at, updated_at, name, kind, eic_code, country)
SELECT {BASE} + 1000 + i, now(), now(), 'Bulk FSP ' || i, 'fsp', NULL, 'SE'
FROM generate_series(1, {FSPS}) i;
INSERT INTO observability_systemoperator (id, created_at, updated_at, organisation_id, tier, upstream_id,
                                          time_zone)
SELECT {BASE} + i, now(), now(), {BASE} + i, CASE WHEN i = 1 THEN 'tso' ELSE 'local_dso' END,
       CASE WHEN i = 1 THEN NULL ELSE {BASE} + 1 END, 'Europe/Stockholm'
FROM generate_series(1, {OPERATORS}) i;
INSERT INTO prequal_fsp (id, created_at, updated_at, organisation_id)
SELECT {BASE} + i, now(), now(), {BASE} + 1000 + i FROM generate_series(1, {FSPS}) i;
INSERT INTO prequal_product (id, created_at, updated_at, code, name, name_sv, kind, procuring_so_id,
                             directions, market_time_unit_minutes, gate_closure_minutes, is_active)
SELECT {BASE} + i, now(), now(), 'bulk-' || i, 'Bulk product ' || i, 'Bulkprodukt ' || i, 'balancing',
       {BASE} + 1, 'both', 15, 45, true
FROM generate_series(1, 2) i;
INSERT INTO observability_connectionpoint (id, created_at, updated_at, gsrn, connecting_so_id, latitude,
                                           longitude, voltage_level, bidding_zone)
SELECT {BASE} + i, now(), now(), '7' || lpad(i::text, 17, '0'), {BASE} + 2 + i % {OPERATORS - 1},
       59 + (i % 100) / 100.0, 18 + (i % 97) / 100.0, 'lv', 'SE3'
FROM generate_series(1, {SPUS}) i;
INSERT INTO prequal_spu (id, created_at, updated_at, fsp_id, connection_point_id, code, name, technology,
                         max_up_kw, max_down_kw, is_active)
SELECT {BASE} + i, now(), now(), {BASE} + 1 + i % {FSPS}, {BASE} + i, 'BULK-' || lpad(i::text, 6, '0'),
       'Bulk unit ' || i, 'battery', 500, 500, i % 10 <> 0
FROM generate_series(1, {SPUS}) i;
INSERT INTO prequal_case (id, created_at, updated_at, fsp_id, spu_id, spg_id, product_id, status, round,
                          submitted_at, decided_at, valid_until, supplement_due, previous_outcome)
SELECT {BASE} + i, ts, ts, {BASE} + 1 + s % {FSPS}, {BASE} + s, NULL, {BASE} + 1 + (i - 1) / {SPUS},
       CASE WHEN i % 4 = 0 THEN 'under_assessment' ELSE 'approved' END, 1, ts,
       CASE WHEN i % 4 = 0 THEN NULL ELSE ts + interval '60 days' END,
       CASE WHEN i % 4 = 0 THEN NULL ELSE ts + interval '5 years' END,
       CASE WHEN i % 400 = 0 THEN ts + interval '28 days' END, ''
FROM (SELECT i, (i - 1) % {SPUS} + 1 AS s,
             timestamptz '2023-01-01 00:00+00' + (i * interval '1 hour') AS ts
      FROM generate_series(1, {CASES}) i) c;
INSERT INTO prequal_assessment (id, created_at, updated_at, case_id, round, system_operator_id, reasons,
                                connects, area_version_ids, status, deadline, clock_started_at, decided_at,
                                missing_information, reason, justification, limits_explanation)
SELECT {BASE} + (c - 1) * 3 + k, ts, ts, {BASE} + c, 1, so, '[]', k = 1, '[]', st,
       CASE WHEN st = 'pending' THEN ts + interval '90 days' + (c % 1000) * interval '1 minute'
            WHEN st = 'incomplete' THEN NULL ELSE ts + interval '90 days' END,
       ts, CASE WHEN st IN ('pending', 'incomplete', 'cancelled') THEN NULL ELSE ts + interval '60 days' END,
       '', '', '', ''
FROM (SELECT c, k, ts,
             CASE k WHEN 0 THEN {BASE} + 1
                    WHEN 1 THEN {BASE} + 2 + s % {OPERATORS - 1}
                    ELSE {BASE} + 2 + (s + 7) % {OPERATORS - 1} END AS so,
             CASE WHEN c % 4 = 0 AND c % 40 = 0 THEN 'incomplete'
                  WHEN c % 4 = 0 THEN 'pending'
                  WHEN c % 50 = 1 THEN 'cancelled'
                  WHEN c % 7 = 0 THEN 'conditionally_approved'
                  WHEN c % 11 = 0 THEN 'approved_by_silence'
                  WHEN c % 13 = 0 THEN 'not_approved'
                  ELSE 'approved' END AS st
      FROM (SELECT c, (c - 1) % {SPUS} + 1 AS s,
                   timestamptz '2023-01-01 00:00+00' + (c * interval '1 hour') AS ts
            FROM generate_series(1, {CASES}) c) cases,
           generate_series(0, 2) k) a;
"""


# ANALYZE samples 300 rows per unit of the statistics target: 3 * CASES rows need CASES / 100.
STATISTICS_TARGET = CASES // 100 + 1


@contextmanager
def _own_database():
    """Point this process's connection at a copy of its test database for the module, then back.

    The bulk data set, its statistics and the visibility map VACUUM leaves must never reach the
    worker's own database: later tests there were planned on them (a report query on the demo
    data ran into the 180 s statement timeout after this module, in whichever worker ran both).
    The copy is made from the test database as a template (the same schema and migration data)
    and dropped at the end; Django's test runner switches databases the same way.
    """
    settings = connection.settings_dict
    original = settings["NAME"]
    copy = f"{original}_explain"
    server = {"host": settings["HOST"] or None, "port": settings["PORT"] or None,
              "user": settings["USER"] or None, "password": settings["PASSWORD"] or None}
    connections.close_all()  # a template may have no other sessions
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(copy)))
        admin.execute(pgsql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            pgsql.Identifier(copy), pgsql.Identifier(original)))
    settings["NAME"] = copy
    try:
        yield
    finally:
        connections.close_all()
        settings["NAME"] = original
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(copy)))


@pytest.fixture(scope="module")
def bulk(django_db_setup, django_db_blocker):
    """The data set, committed once for this module's tests in a database of the module's own
    (each test still runs in its own transaction, rolled back): loading it per test would spend
    most of the time on the deferred foreign-key checks at each rollback.

    Its plans are made the same every run. The copy starts empty (whatever earlier tests left in
    the worker's database, rows or dead space, depends on which tests ran there first), every
    table is analysed with a sample larger than the biggest table (so ANALYZE reads every row
    instead of a random sample) after a VACUUM that sets the visibility map, and autovacuum is
    off there, so no background run changes the statistics midway. Plans then depend on the
    data alone, not on the run.
    """
    with django_db_blocker.unblock(), _own_database():
        with connection.cursor() as cursor:
            tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
            cursor.execute(f"TRUNCATE {', '.join(map(connection.ops.quote_name, tables))} CASCADE")
            cursor.execute(LOAD)
        so_readers_rebuild()  # loaded past the services, like bench/refdata.py
        with connection.cursor() as cursor:
            # A partitioned table (the activation register's, forecasts' values) takes the setting
            # on its partitions.
            cursor.execute(
                "SELECT p.relname, c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relkind = 'p'"
            )
            partitions: dict[str, list[str]] = {}
            for parent, child in cursor.fetchall():
                partitions.setdefault(parent, []).append(child)
            for table in (each for name in tables for each in partitions.get(name, [name])):
                quoted = connection.ops.quote_name(table)
                cursor.execute(f"ALTER TABLE {quoted} SET (autovacuum_enabled = off)")
            cursor.execute(f"SET default_statistics_target = {STATISTICS_TARGET}")
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("RESET default_statistics_target")
        assert Assessment.objects.filter(pk__gte=BASE).count() == 3 * CASES
        yield


def _member(org_id: int, role: str):
    user = UserFactory(username=f"bulk-{org_id}-{role}")
    MembershipFactory(user=user, organisation_id=org_id, role=role)
    return user


def _captured(call) -> list[str]:
    """The SQL (parameters inlined by the driver's own quoting) of every query `call` sends."""
    with CaptureQueriesContext(connection) as queries:
        call()
    return [q["sql"] for q in queries.captured_queries]


def _plan(sql: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        raw = cursor.fetchone()[0]
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _indexes(plan: dict) -> set[str]:
    return {node["Index Name"] for node in _nodes(plan) if "Index Name" in node}


def _relations(plan: dict) -> set[str]:
    return {node["Relation Name"] for node in _nodes(plan) if "Relation Name" in node}


def _seq_scanned(plan: dict) -> set[str]:
    return {node["Relation Name"] for node in _nodes(plan) if node["Node Type"] == "Seq Scan"}


def _on(table: str, statements: list[str]) -> list[str]:
    return [s for s in statements if f'FROM "{table}"' in s or f'JOIN "{table}"' in s]


def test_the_so_queue_reads_its_partial_index_in_page_order(bulk):
    """Page 1 of the TSO's queue (every case: ~10,000 open of 120,000) and of a DSO's."""
    from prequal.selectors.cases import assessment_queue_for_user

    for org in (BASE + 1, BASE + 5):
        user = _member(org, Membership.Role.SO_ENGINEER)

        def page(user=user):
            qs = assessment_queue_for_user(user=user)
            qs.count()
            return list(qs[:50])

        statements = _on("prequal_assessment", _captured(page))
        assert len(statements) == 2  # the count and the page
        for sql in statements:
            plan = _plan(sql)
            # The count may read the open rows' index that carries their cases (index only).
            open_indexes = {"assessment_queue_open", "assessment_open_cases"}
            assert open_indexes & _indexes(plan), json.dumps(plan, indent=1)
            assert "prequal_assessment" not in _seq_scanned(plan), json.dumps(plan, indent=1)
        # The count reads the assessments alone (no join to the case for its round).
        count_plan = _plan(statements[0])
        assert _relations(count_plan) == {"prequal_assessment"}, json.dumps(count_plan, indent=1)
        # The page itself needs no sort of the operator's open rows: the index gives the order.
        page_plan = _plan(statements[-1])
        assert not [n for n in _nodes(page_plan) if n["Node Type"] == "Sort"], json.dumps(page_plan, indent=1)

        for filters in ({"status": "incomplete"}, {"status": "pending", "product": BASE + 2}):
            filtered = _on("prequal_assessment", _captured(lambda user=user, filters=filters: list(
                assessment_queue_for_user(user=user, **filters)[:50]
            )))
            plan = _plan(filtered[-1])
            # The open rows in page order, or (a rare status) the open rows with their cases.
            open_indexes = {"assessment_queue_open", "assessment_open_cases"}
            assert open_indexes & _indexes(plan), (filters, json.dumps(plan, indent=1))
            assert "prequal_assessment" not in _seq_scanned(plan), (filters, json.dumps(plan, indent=1))


def test_the_queues_connecting_so_filter_starts_from_that_sos_own_cases(bulk):
    """The TSO's queue for one DSO's points: that DSO's `connects` assessments, by index, not a walk
    over every open assessment of the TSO with a lookup of each case's points."""
    from prequal.selectors.cases import assessment_queue_for_user

    user = _member(BASE + 1, Membership.Role.SO_ENGINEER)

    def page():
        qs = assessment_queue_for_user(user=user, connecting_so=BASE + 5)
        return qs.count(), list(qs[:50])

    statements = _on("prequal_assessment", _captured(page))
    assert len(statements) == 3  # the open cases that SO connects, then the count and the page
    assert "assessment_connecting" in _indexes(_plan(statements[0])), statements[0]
    for sql in statements:
        plan = _plan(sql)
        assert "prequal_assessment" not in _seq_scanned(plan), json.dumps(plan, indent=1)
    count, rows = page()
    assert count and all(r.system_operator_id == BASE + 1 for r in rows)


def test_the_sweep_finds_due_rows_through_the_open_deadline_indexes(bulk):
    from prequal.services.sweep import sweep_expiries, sweep_silences, sweep_supplement_periods

    early = datetime(2023, 1, 20, tzinfo=UTC)  # a few rows due, as on any minute's sweep
    for sweep, table, index in (
        (sweep_silences, "prequal_assessment", "assessment_deadline_open"),
        (sweep_supplement_periods, "prequal_case", "case_supplement_due_open"),
        (sweep_expiries, "prequal_case", "case_valid_until_open"),
    ):
        statements = _on(table, _captured(lambda sweep=sweep: sweep(now=early - timedelta(days=30))))
        assert statements, sweep.__name__
        plan = _plan(statements[0])
        assert index in _indexes(plan), (sweep.__name__, json.dumps(plan, indent=1))
        assert table not in _seq_scanned(plan), (sweep.__name__, json.dumps(plan, indent=1))


def test_an_operators_annual_report_reads_its_decisions_by_index(bulk):
    from reports.annual import report_for_user
    from reports.selectors import report_years_for_user

    user = _member(BASE + 5, Membership.Role.SO_ENGINEER)
    statements = _on("prequal_assessment", _captured(lambda: (
        report_for_user(user=user, year=2024, now=NOW), report_years_for_user(user=user)
    )))
    assert len(statements) == 2  # the figures per operator, the years with decisions
    for sql in statements:
        plan = _plan(sql)
        assert "assessment_decided" in _indexes(plan), (sql, json.dumps(plan, indent=1))
        assert "prequal_assessment" not in _seq_scanned(plan), (sql, json.dumps(plan, indent=1))


def test_the_fsp_lists_read_the_fsps_units_and_applications_by_index(bulk):
    """The FSP's SPU list (active units by code) and applications list (newest first)."""
    from prequal.selectors.cases import case_list_for_user
    from prequal.selectors.resources import spu_list_for_user

    user = _member(BASE + 1000 + 3, Membership.Role.FSP_USER)
    assert Spu.objects.filter(fsp_id=BASE + 3, is_active=True).count() == SPUS // FSPS

    def spus():
        qs = spu_list_for_user(user=user).filter(is_active=True).order_by("code", "pk")
        qs.count()
        return list(qs[:50])

    statements = _on("prequal_spu", _captured(spus))
    assert len(statements) == 2  # the count and the page
    for sql in statements:
        plan = _plan(sql)
        assert _indexes(plan), json.dumps(plan, indent=1)
        assert "prequal_spu" not in _seq_scanned(plan), json.dumps(plan, indent=1)
        # Scoped by the FSP's id, not through its organisation (filtering through the join, the
        # planner sorted all of an aggregator's units for each page).
        assert '"prequal_spu"."fsp_id" IN' in sql and '"organisation_id" IN' not in sql, sql

    def cases():
        qs = case_list_for_user(user=user)
        qs.count()
        return list(qs[:50])

    statements = _on("prequal_case", _captured(cases))
    assert len(statements) == 2
    for sql in statements:
        plan = _plan(sql)
        assert _indexes(plan), json.dumps(plan, indent=1)
        assert "prequal_case" not in _seq_scanned(plan), json.dumps(plan, indent=1)
    page_plan = _plan(statements[-1])
    assert "case_fsp_created" in _indexes(page_plan), json.dumps(page_plan, indent=1)
    assert not [n for n in _nodes(page_plan) if n["Node Type"] == "Sort"], json.dumps(page_plan, indent=1)


def test_the_application_list_of_an_so_or_the_nra_walks_cases_newest_first(bulk):
    from prequal.selectors.cases import case_list_for_user

    for org, role in ((BASE + 5, Membership.Role.SO_ENGINEER), (BASE + 1, Membership.Role.SO_VIEWER),
                      (BASE + 1000 + 20, Membership.Role.NRA_ANALYST)):
        user = _member(org, role)
        first_page = _captured(lambda user=user: list(case_list_for_user(user=user)[:50]))
        statements = _on("prequal_case", first_page)
        assert len(statements) == 1
        plan = _plan(statements[0])
        assert "case_created" in _indexes(plan), (role, json.dumps(plan, indent=1))
        big = {"prequal_case", "prequal_assessment", "prequal_spu"}
        assert not _seq_scanned(plan) & big, (role, json.dumps(plan, indent=1))
        assert not [n for n in _nodes(plan) if n["Node Type"] == "Sort"], (role, json.dumps(plan, indent=1))


def test_an_sos_fsp_data_lists_read_its_reader_rows_by_index(bulk):
    """SPEC §4: an SO reads the SPUs, SPGs and points at its grid and of the cases it assesses.
    The TSO assesses every case (all 20,000 units here; about 200,000 at SPEC §7's scale), a DSO
    a few hundred. Those are kept as reader rows (prequal.models.readers): the SPU list's page
    walks the operator's rows in code order and stops at 50, its count reads the rows alone (not
    the units), and nothing reads the assessments or scans the units."""
    from observability.selectors import connection_point_list_for_user
    from prequal.selectors.resources import spg_list_for_user, spu_list_for_user

    for org, expected in ((BASE + 1, SPUS), (BASE + 5, None)):
        user = _member(org, Membership.Role.SO_VIEWER)
        assert SpuReader.objects.filter(system_operator_id=org).exists()

        def lists(user=user):
            spus = spu_list_for_user(user=user, active=True)
            points = connection_point_list_for_user(user=user)
            return spus.count(), list(spus[:50]), points.count(), list(points[:50]), list(
                spg_list_for_user(user=user)[:50])

        count, page, *_ = lists()
        active = Spu.objects.filter(readers__system_operator_id=org, is_active=True).count()
        assert count == active and len(page) == min(50, active)
        assert expected is None or active == expected - expected // 10  # every tenth unit is deactivated
        statements = _captured(lists)
        assert not _on("prequal_assessment", statements), statements
        spu_count, spu_page = _on("prequal_spureader", statements)[:2]
        count_plan, page_plan = _plan(spu_count), _plan(spu_page)
        # The count: the operator's rows alone, from the index (no unit read).
        assert _relations(count_plan) == {"prequal_spureader"}, json.dumps(count_plan, indent=1)
        assert _indexes(count_plan) & {"spu_reader_list", "spu_reader_once"}, json.dumps(count_plan, indent=1)
        # The page: the rows in code order off the index, then 50 units by key; no sort.
        assert "spu_reader_list" in _indexes(page_plan), json.dumps(page_plan, indent=1)
        assert not [n for n in _nodes(page_plan) if n["Node Type"] == "Sort"], json.dumps(page_plan, indent=1)
        for sql in statements:
            plan = _plan(sql)
            scanned = _seq_scanned(plan) & {"prequal_spureader", "prequal_spu"}
            assert not scanned, (org, sql, json.dumps(plan, indent=1))
            # A subquery under an OR (the points an SO connects or reads through its units) is run
            # once and hashed, never once per row.
            text = json.dumps(plan)
            per_row = [n["Subplan Name"] for n in _nodes(plan) if n.get("Parent Relationship") == "SubPlan"
                       and f"hashed {n['Subplan Name']})" not in text]
            assert not per_row, (org, per_row, json.dumps(plan, indent=1))

"""Lists you can sort, search, filter and export (issue 15; common/listing.py, common/exports.py).

Every list: sortable column headers from a whitelist (an unknown key: a message and the default
order, never a 500), a server-side search (case-insensitive; SQL and HTML are just text), the
filters kept in the URL with sort and search (pagination and export links too), and an export of
the whole current filter to CSV (plain and for Excel) and XLSX, in a constant number of queries.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from shapely.geometry import box

from common.pagination import paginate
from limits.models import TargetKind
from limits.services import limit_create
from observability.models import SystemOperator
from prequal.models import Assessment, Direction, Spu
from prequal.services.cases import case_create_draft, case_submit
from prequal.views import resources as resource_views
from tests.factories import (
    SpgFactory,
    SpgMembershipFactory,
    SystemOperatorFactory,
    make_area,
)
from tests.limit_helpers import START
from tests.lists.helpers import LIST_PAGES, export_rows
from tests.personas import login

SQL = "x' OR '1'='1'; DROP TABLE prequal_spu; --"
HTML = '<script>alert("boo")</script>'
FORMATS = ("csv", "csv-excel", "xlsx")


def _user_for(cast, name: str):
    """The queue is an SO member's; every other list the NRA analyst's (who reads them all)."""
    return cast.local_engineer if name == "prequal:queue" else cast.nra_analyst


def _submit(grid, spu):
    user = grid.cast.fsp_a_user
    return case_submit(user=user, case=case_create_draft(user=user, spu=spu, product=grid.mfrr))


def _add_rows(grid, n: int) -> None:
    """n more rows on every list: SPUs (at a new operator's point), SPGs, open cases, limits, areas."""
    for i in range(n):
        so = SystemOperatorFactory(tier=SystemOperator.Tier.LOCAL_DSO, upstream=grid.cast.regional)
        make_area(system_operator=so, geometry=box(10 + i * 0.01, 55, 10.005 + i * 0.01, 55.005))
        spu = grid.new_spu()
        SpgMembershipFactory(spg=SpgFactory(fsp=grid.cast.fsp_a), spu=spu)
        _submit(grid, spu)
        start = START
        with time_machine.travel(start - timedelta(days=1), tick=False):
            limit_create(
                user=grid.cast.local_engineer, system_operator=grid.cast.local, target_kind=TargetKind.SPU,
                spu=spu, direction=Direction.UP, quantity_mw=Decimal("0.5"), start=start,
                end=start + timedelta(hours=2), reason="Maintenance",
            )


# --- Sorting ------------------------------------------------------------------------------------


def test_a_column_header_sorts_the_queue_both_ways(client, grid):
    for code in ("M-2", "Z-3", "A-1"):
        _submit(grid, grid.new_spu(code=code))
    login(client, grid.cast.local_engineer)

    def codes(**params) -> list[str]:
        page = client.get(reverse("prequal:queue"), params).context["page_obj"]
        return [a.case.spu.code for a in page]

    assert codes(sort="resource") == ["A-1", "M-2", "Z-3"]
    assert codes(sort="-resource") == ["Z-3", "M-2", "A-1"]
    page = client.get(reverse("prequal:queue"), {"sort": "resource"}).content.decode()
    # The active header says so and its link turns the order round; the others sort ascending first.
    assert 'aria-sort="ascending"><a href="?sort=-resource" data-sort="resource">' in page
    assert '<a href="?sort=deadline" data-sort="deadline">' in page


@pytest.mark.parametrize("name", LIST_PAGES)
def test_an_unknown_sort_key_gives_a_message_and_the_default_order(client, grid, name):
    _submit(grid, grid.new_spu(code="A-1"))
    login(client, _user_for(grid.cast, name))
    default = [o.pk for o in client.get(reverse(name)).context["page_obj"]]

    for key in ("colour", "-password", SQL, HTML, "pk", "case__fsp__organisation__name"):
        response = client.get(reverse(name), {"sort": key})

        assert response.status_code == 200
        assert response.context["listing"].error
        assert [o.pk for o in response.context["page_obj"]] == default
        page = response.content.decode()
        assert 'data-testid="list-error"' in page
        assert "<script>alert" not in page
        # An export with the bad key is in the default order too, not an error.
        assert client.get(reverse(name), {"sort": key, "export": "csv"}).status_code == 200


# --- Searching ----------------------------------------------------------------------------------


def test_the_spu_search_is_case_insensitive_over_code_name_gsrn_and_fsp(client, cast, registry):
    login(client, cast.nra_analyst)

    def codes(q: str) -> list[str]:
        return [s.code for s in client.get(reverse("prequal:spu-list"), {"q": q}).context["page_obj"]]

    assert codes("alpha BATTERY") == ["A-1"]
    assert codes("b-1") == ["B-1"]
    assert codes("fsp b") == ["B-1"]
    assert codes(registry["cp_b"].gsrn) == ["B-1"]
    assert codes("ALPHA") == codes("alpha") == ["A-1"]


@pytest.mark.parametrize("name", LIST_PAGES)
def test_a_search_with_sql_or_html_is_just_text(client, grid, name):
    _submit(grid, grid.new_spu(code="A-1"))
    login(client, _user_for(grid.cast, name))

    for text in (SQL, HTML, "%", "_", "A-1' --"):
        response = client.get(reverse(name), {"q": text})

        assert response.status_code == 200
        assert list(response.context["page_obj"]) == []  # matched literally: nothing has it
        page = response.content.decode()
        assert "<script>alert" not in page
        if text == HTML:  # every list has a search box, and shows the search back in it, escaped
            assert re.search(r'<input type="(search|text)" name="q"[^>]* value="'
                             r'&lt;script&gt;alert\(&quot;boo&quot;\)&lt;/script&gt;"', page)
    assert Spu.objects.filter(code="A-1").exists()  # and the table is still there


def test_an_spu_named_with_html_and_sql_is_found_by_its_name_and_shown_escaped(client, grid):
    grid.new_spu(code="H-1", name=f"{HTML} {SQL}")
    login(client, grid.cast.nra_analyst)

    response = client.get(reverse("prequal:spu-list"), {"q": HTML})

    assert [s.code for s in response.context["page_obj"]] == ["H-1"]
    assert "<script>alert" not in response.content.decode()
    by_sql = client.get(reverse("prequal:spu-list"), {"q": SQL}).context["page_obj"]
    assert [s.code for s in by_sql] == ["H-1"]


# --- Filters in the URL, export of the whole filter ----------------------------------------------


@pytest.fixture
def one_per_page(monkeypatch):
    def one(request, items):
        return paginate(request, items, per_page=1)

    monkeypatch.setattr(resource_views, "paginate", one)


def test_filters_sort_and_search_stay_in_the_pagination_and_export_links(client, grid, one_per_page):
    for code in ("S-1", "S-2", "S-3"):
        grid.new_spu(code=code, technology=Spu.Technology.BATTERY)
    login(client, grid.cast.nra_analyst)

    page = client.get(
        reverse("prequal:spu-list"), {"technology": "battery", "q": "s-", "sort": "-code", "page": 2}
    ).content.decode()

    assert [s.code for s in client.get(
        reverse("prequal:spu-list"), {"technology": "battery", "q": "s-", "sort": "-code", "page": 2}
    ).context["page_obj"]] == ["S-2"]
    for link in ("?technology=battery&amp;q=s-&amp;sort=-code&amp;page=3",
                 "?technology=battery&amp;q=s-&amp;sort=-code&amp;export=csv",
                 "?technology=battery&amp;q=s-&amp;sort=-code&amp;export=csv-excel",
                 "?technology=battery&amp;q=s-&amp;sort=-code&amp;export=xlsx"):
        assert f'href="{link}"' in page, link
    # The search form keeps the sort (the filters are its own fields).
    assert '<input type="hidden" name="sort" value="-code">' in page


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_export_holds_every_row_of_the_filter_not_just_the_page(client, grid, one_per_page, fmt):
    grid.new_spu(code="E-1", name="Pump; the first", technology=Spu.Technology.HEAT_PUMP,
                 up_kw="1500.5", down_kw="250")
    grid.new_spu(code="E-2", name="=HYPERLINK(1)", technology=Spu.Technology.HEAT_PUMP)
    grid.new_spu(code="E-3", technology=Spu.Technology.BATTERY)  # filtered out
    login(client, grid.cast.nra_analyst)

    rows = export_rows(client.get(
        reverse("prequal:spu-list"), {"technology": "heat_pump", "sort": "-code", "export": fmt}
    ), fmt)

    header, *body = rows
    assert header[:3] == ["Code", "Name", "FSP"]
    assert [r[0] for r in body] == ["E-2", "E-1"]
    first = dict(zip(header, body[1], strict=True))
    if fmt == "xlsx":
        assert (first["Up (kW)"], first["Down (kW)"]) == (1500.5, 250)
        assert body[0][1] == "=HYPERLINK(1)"  # typed as text, never a formula
    else:
        # Plain: decimal point; for Excel: decimal comma. A formula start is neutralised in both.
        assert first["Up (kW)"] == ("1500,5" if fmt == "csv-excel" else "1500.5")
        assert body[0][1] == "'=HYPERLINK(1)"
    assert first["Name"] == "Pump; the first"
    assert first["Connection point"] and first["Status"] == "Active"


def test_the_export_has_a_dated_file_name_per_variant(client, grid):
    with time_machine.travel("2027-03-01 23:30Z", tick=False):  # 00:30 on 2 March in Stockholm
        login(client, grid.cast.nra_analyst)
        names = {
            fmt: client.get(reverse("limits:limit-list"), {"export": fmt})["Content-Disposition"]
            for fmt in FORMATS
        }
    assert names == {
        "csv": 'attachment; filename="gridprequal-temporary-limits-2027-03-02.csv"',
        "csv-excel": 'attachment; filename="gridprequal-temporary-limits-2027-03-02-excel.csv"',
        "xlsx": 'attachment; filename="gridprequal-temporary-limits-2027-03-02.xlsx"',
    }


def test_the_queue_export_carries_the_deadline_in_local_time_and_its_legal_basis(client, grid):
    case = _submit(grid, grid.new_spu(code="Q-1"))
    deadline = Assessment.objects.get(case=case, system_operator=grid.cast.local).deadline
    login(client, grid.cast.local_engineer)

    header, row = export_rows(client.get(reverse("prequal:queue"), {"export": "csv"}), "csv")

    record = dict(zip(header, row, strict=True))
    assert record["Case"] == str(case.pk) and record["SPU / SPG"] == "SPU Q-1"
    assert record["Assessing SO"] == "Local DSO" and record["Legal basis"] == "SO GL Art. 182(3)"
    assert record["Deadline"] == timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")


def test_the_queue_export_writes_each_deadline_in_its_operators_time_zone(client, grid):
    """As the page shows it: an operator in Helsinki reads its deadlines in Helsinki time."""
    SystemOperator.objects.filter(pk=grid.cast.local.pk).update(time_zone="Europe/Helsinki")
    case = _submit(grid, grid.new_spu(code="Q-2"))
    deadline = Assessment.objects.get(case=case, system_operator=grid.cast.local).deadline
    login(client, grid.cast.local_engineer)

    header, row = export_rows(client.get(reverse("prequal:queue"), {"export": "csv"}), "csv")

    record = dict(zip(header, row, strict=True))
    helsinki = timezone.localtime(deadline, zoneinfo.ZoneInfo("Europe/Helsinki"))
    assert record["Deadline"] == helsinki.strftime("%Y-%m-%d %H:%M")
    assert helsinki.utcoffset() != timezone.localtime(deadline).utcoffset()


# --- Queries: constant in the number of rows -------------------------------------------------------


@pytest.mark.parametrize("name", LIST_PAGES)
@pytest.mark.parametrize("export", ["", "csv", "xlsx"])
def test_each_list_and_its_export_take_a_constant_number_of_queries(client, grid, name, export):
    login(client, _user_for(grid.cast, name))
    params = {"status": ""} if name == "limits:limit-list" else {}  # every limit, whatever the clock
    if export:
        params["export"] = export
    _add_rows(grid, 2)
    client.get(reverse(name), params)  # warm the session and content types

    def run():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(name), params)
            count = len(export_rows(response, export)) - 1 if export else response.context[
                "page_obj"].paginator.count
        return count, len(queries)

    few_rows, few = run()
    _add_rows(grid, 6)
    many_rows, many = run()
    assert many_rows >= few_rows + 6
    assert many == few, (name, export)

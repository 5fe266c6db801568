"""The annual report over the REST API (SPEC R9, issue 15): the same figures as the page and the
downloads (one builder), the three files, scope (NRA all, SO its own, others 404), bad input.

Reuses the hand-built year of tests/rules/test_r9_annual_report.py, whose every figure is known.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from reports.builder import cell_text
from reports.render import neutralise
from tests.rules.test_r9_annual_report import YEAR, Data, parse_csv, parse_xlsx

JSON_URL = "api:report"
FILE_URL = "api:report-download"


@pytest.fixture
def data(cast) -> Data:
    return Data(cast)


def _as_text(table_key: str, rows: list[list]) -> list[list[str]]:
    """JSON values as the CSV writes them (the decision list's text neutralised, as downloads do)."""
    if table_key == "conditional_and_refused":
        return [[neutralise(cell_text(v)) for v in row] for row in rows]
    return [[cell_text(v) for v in row] for row in rows]


def test_the_json_has_every_figure_of_the_downloads(api_as, data):
    response = api_as(data.cast.nra_analyst).get(reverse(JSON_URL), {"year": YEAR})
    assert response.status_code == 200
    body = response.json()
    assert body["year"] == YEAR
    assert set(body) == {"year", "made_at", "scope", "tier", "tables", "conditional_and_refused"}
    tables = {t["key"]: _as_text(t["key"], t["rows"]) for t in body["tables"]}
    listed = body["conditional_and_refused"]
    tables["conditional_and_refused"] = _as_text("conditional_and_refused", listed["results"])
    expected = data.expected()
    assert set(tables) == set(expected)
    for key, rows in expected.items():
        assert tables[key] == rows, key
    assert listed["count"] == 2 and listed["next"] is None and len(listed["columns"]) == 12


def test_the_json_pages_the_decision_list(api_as, data):
    client = api_as(data.cast.nra_analyst)
    first = client.get(reverse(JSON_URL), {"year": YEAR, "page_size": 1}).json()["conditional_and_refused"]
    assert first["count"] == 2 and len(first["results"]) == 1 and "page=2" in first["next"]
    second = client.get(first["next"]).json()["conditional_and_refused"]
    assert second["results"][0][6] == "Not approved" and second["next"] is None


def test_the_api_files_are_the_page_downloads(api_as, client, data):
    api = api_as(data.cast.nra_analyst)
    client.force_login(data.cast.nra_analyst)
    for fmt, parse in (("csv", parse_csv), ("xlsx", parse_xlsx)):
        from_api = api.get(reverse(FILE_URL, args=[fmt]), {"year": YEAR})
        from_page = client.get(reverse("reports:report-download", args=[fmt]), {"year": YEAR})
        assert from_api.status_code == 200, fmt
        assert f"gridprequal-annual-report-{YEAR}-made-" in from_api["Content-Disposition"]
        body = b"".join(from_api.streaming_content) if from_api.streaming else from_api.content
        page_body = b"".join(from_page.streaming_content)
        tables = parse(body)
        assert {k: v for k, v in tables.items() if k != "report"} == {
            k: v for k, v in parse(page_body).items() if k != "report"
        }, fmt
        for key, rows in data.expected().items():
            assert tables[key] == rows, (fmt, key)
    pdf = api.get(reverse(FILE_URL, args=["pdf"]), {"year": YEAR})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize("persona", ["local_engineer", "local_viewer"])
def test_an_so_member_reads_its_own_operator_only(api_as, data, persona):
    client = api_as(getattr(data.cast, persona))
    body = client.get(reverse(JSON_URL), {"year": YEAR}).json()
    outcomes = next(t for t in body["tables"] if t["key"] == "outcomes")
    assert [row[0] for row in outcomes["rows"]] == ["Local DSO", "All operators"]
    assert client.get(reverse(JSON_URL), {"year": YEAR, "operator": data.cast.tso.pk}).status_code == 404
    other = {"year": YEAR, "operator": data.cast.tso.pk}
    assert client.get(reverse(FILE_URL, args=["csv"]), other).status_code == 404
    own = {"year": YEAR, "operator": data.cast.local.pk}
    assert client.get(reverse(FILE_URL, args=["csv"]), own).status_code == 200


@pytest.mark.parametrize("persona", ["fsp_a_user", "outsider"])
def test_fsps_and_outsiders_get_404(api_as, data, persona):
    client = api_as(getattr(data.cast, persona))
    assert client.get(reverse(JSON_URL), {"year": YEAR}).status_code == 404
    for fmt in ("csv", "xlsx", "pdf"):
        assert client.get(reverse(FILE_URL, args=[fmt]), {"year": YEAR}).status_code == 404


def test_anonymous_gets_401(api_client, data):
    assert api_client.get(reverse(JSON_URL), {"year": YEAR}).status_code == 401
    assert api_client.get(reverse(FILE_URL, args=["csv"]), {"year": YEAR}).status_code == 401


def test_bad_and_unknown_parameters_get_a_message_each(api_as, data):
    client = api_as(data.cast.nra_analyst)
    response = client.get(reverse(JSON_URL), {"year": "1850", "tier": "planet", "colour": "red"})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"year", "tier", "colour"}
    # The files take no page: an unknown parameter there too.
    response = client.get(reverse(FILE_URL, args=["csv"]), {"year": YEAR, "page": 2})
    assert response.status_code == 400 and "page" in response.json()["errors"]
    assert client.get(reverse(FILE_URL, args=["doc"]), {"year": YEAR}).status_code == 404


def test_without_a_year_the_newest_year_with_decisions(api_as, data):
    # The newest decision is 2025-12-31 23:30 UTC: already 2026 in Stockholm.
    body = api_as(data.cast.nra_analyst).get(reverse(JSON_URL)).json()
    assert body["year"] == 2026

"""The annual report (SPEC R9): exact figures in all three formats, scope, spreadsheet safety.

The data set is built by hand so every figure is known: the Local DSO decides six times in
2025 (decision times 10, 20, 30, 40, 50 and 92 days: median 35, 95th percentile 81.5), the
TSO twice (5 and 15 days: median 10, 95th percentile 14.5). Decisions just outside 2025 in
Stockholm time, a pending assessment and last year's limits must not count.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from limits.models import LimitRefusal, TargetKind, TemporaryLimit
from prequal.models import Assessment, Case, Condition
from reports.render import neutralise
from tests.factories import ConnectionPointFactory, ProductFactory, SpuFactory

S = Assessment.Status
YEAR = 2025
INJECTION = "=HYPERLINK(\"http://evil.invalid\",\"click\")"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


class Data:
    """Everything the tests compare against."""

    def __init__(self, cast) -> None:
        self.cast = cast
        product = ProductFactory(procuring_so=cast.tso, name="mFRR energy")
        spu = SpuFactory(
            fsp=cast.fsp_a, code="BAT-1", connection_point=ConnectionPointFactory(connecting_so=cast.local)
        )
        self.case = Case.objects.create(fsp=cast.fsp_a, spu=spu, product=product, status="under_assessment",
                                        round=1)
        self.n = 0

        # Local DSO, decided in 2025 (Stockholm time).
        # 2025-01-01 00:30 in Stockholm is still 2024 in UTC: it counts for 2025.
        self.decide(cast.local, S.APPROVED, utc(2024, 12, 31, 23, 30), 10)
        self.decide(cast.local, S.APPROVED, utc(2025, 3, 1, 12), 20)
        self.decide(cast.local, S.APPROVED, utc(2025, 4, 1, 12), 30)
        self.decide(cast.local, S.APPROVED_BY_SILENCE, utc(2025, 5, 1, 12), 92)
        self.conditional = self.decide(
            cast.local, S.CONDITIONALLY_APPROVED, utc(2025, 6, 2, 8), 40, reason="@risk in winter mornings"
        )
        self.condition = Condition.objects.create(
            assessment=self.conditional, max_up_mw=Decimal("2"), months=[12, 1, 2], weekdays=[0, 1, 2, 3, 4],
            start_time=time(7), end_time=time(9),
        )
        self.condition_2 = Condition.objects.create(
            assessment=self.conditional, max_down_mw=Decimal("0"), start_time=time(22), end_time=time(6),
        )
        self.refused = self.decide(
            cast.local, S.NOT_APPROVED, utc(2025, 9, 15, 9), 50,
            justification=INJECTION, limits_explanation="-the line is overloaded every day",
        )
        # Not in 2025: 2026-01-01 00:30 Stockholm, last year, and an open assessment.
        self.decide(cast.local, S.APPROVED, utc(2025, 12, 31, 23, 30), 3)
        self.decide(cast.local, S.NOT_APPROVED, utc(2024, 6, 1), 7, justification="old")
        self.decide(cast.local, S.PENDING, None, 0)
        # TSO.
        self.decide(cast.tso, S.APPROVED, utc(2025, 2, 1), 5)
        self.decide(cast.tso, S.APPROVED, utc(2025, 8, 1), 15)

        # Temporary limits published in 2025: Local DSO 24 h + 12 h (lifted) + 6 h; TSO 10 h.
        self.limit(cast.local, utc(2025, 3, 9), utc(2025, 3, 10, 10), hours=24)
        self.limit(cast.local, utc(2025, 3, 19), utc(2025, 3, 20), hours=48, lifted_after=12)
        self.limit(cast.local, utc(2025, 7, 1), utc(2025, 7, 2), hours=6)
        self.limit(cast.tso, utc(2025, 12, 15), utc(2025, 12, 16), hours=10)
        self.limit(cast.local, utc(2024, 5, 1), utc(2024, 5, 2), hours=99)  # last year
        self.refusal(cast.local, utc(2025, 3, 25))
        self.refusal(cast.local, utc(2024, 3, 25))  # last year
        self.refusal(cast.tso, utc(2025, 12, 20))
        self.refusal(cast.tso, utc(2025, 12, 21))

    def decide(self, so, status, decided_at, days, **texts) -> Assessment:
        self.n += 1
        start = (decided_at or utc(2025, 6, 1)) - timedelta(days=days)
        return Assessment.objects.create(
            case=self.case, round=self.n, system_operator=so, status=status, clock_started_at=start,
            deadline=start + timedelta(days=92), decided_at=decided_at,
            decided_by=self.cast.local_engineer if decided_at and status != S.APPROVED_BY_SILENCE else None,
            **texts,
        )

    def limit(self, so, created, start, *, hours, lifted_after=None) -> None:
        TemporaryLimit.objects.create(
            system_operator=so, target_kind=TargetKind.SPU, spu=self.case.spu, direction="up",
            quantity_mw=Decimal("0"), start=start, end=start + timedelta(hours=hours), reason="test",
            created_by=self.cast.local_engineer, created_at=created,
            lifted_at=start + timedelta(hours=lifted_after) if lifted_after else None,
        )

    def refusal(self, so, at) -> None:
        LimitRefusal.objects.create(
            system_operator=so, at=at, actor=self.cast.local_engineer, target_kind=TargetKind.SPU,
            target_id=self.case.spu_id, requested_start=at, latest_allowed_at=at - timedelta(hours=1),
        )

    def expected(self, *, only_local: bool = False) -> dict[str, list[list[str]]]:
        """Every row of every table as text, as the CSV and the PDF show it."""
        c = self.cast
        ops = [c.local, c.other_local, c.regional, c.tso]
        if only_local:
            ops = [c.local]
        eic = {so.pk: so.organisation.eic_code for so in ops}
        outcomes = {
            c.local.pk: ["Local DSO", eic.get(c.local.pk), "Local DSO", "3", "1", "1", "1", "6"],
            c.other_local.pk: ["Other local DSO", eic.get(c.other_local.pk), "Local DSO", *"00000"],
            c.regional.pk: ["Regional DSO", eic.get(c.regional.pk), "Regional DSO", *"00000"],
            c.tso.pk: ["Svenska kraftnät", eic.get(c.tso.pk), "TSO", "2", "0", "0", "0", "2"],
        }
        times = {
            c.local.pk: ["Local DSO", "6", "35.00", "81.50", "1"],
            c.other_local.pk: ["Other local DSO", "0", "", "", "0"],
            c.regional.pk: ["Regional DSO", "0", "", "", "0"],
            c.tso.pk: ["Svenska kraftnät", "2", "10.00", "14.50", "0"],
        }
        limits = {
            c.local.pk: ["Local DSO", "3", "42.00", "1", "25.00"],
            c.other_local.pk: ["Other local DSO", "0", "0.00", "0", ""],
            c.regional.pk: ["Regional DSO", "0", "0.00", "0", ""],
            c.tso.pk: ["Svenska kraftnät", "1", "10.00", "2", "66.67"],
        }
        if only_local:
            outcome_total = ["All operators", "", "", "3", "1", "1", "1", "6"]
            limit_total = ["All operators", "3", "42.00", "1", "25.00"]
            histogram = ["1", "1", "2", "1", "0", "0", "1", "0"]
            months = {"03": ("2", "1"), "07": ("1", "0")}
        else:
            outcome_total = ["All operators", "", "", "5", "1", "1", "1", "8"]
            limit_total = ["All operators", "4", "52.00", "3", "42.86"]
            histogram = ["2", "2", "2", "1", "0", "0", "1", "0"]
            months = {"03": ("2", "1"), "07": ("1", "0"), "12": ("1", "2")}
        bins = ["0–14 days", "14–28 days", "28–42 days", "42–56 days", "56–70 days", "70–84 days",
                "84–98 days", "98 days or more"]
        decisions = [
            ["Local DSO", str(self.case.pk), str(self.conditional.round), "FSP A", "SPU BAT-1", "mFRR energy",
             "Conditionally approved", "2025-06-02 10:00", neutralise("@risk in winter mornings"), "", "",
             f"{self.condition.describe()} | {self.condition_2.describe()}"],
            ["Local DSO", str(self.case.pk), str(self.refused.round), "FSP A", "SPU BAT-1", "mFRR energy",
             "Not approved", "2025-09-15 11:00", "", neutralise(INJECTION),
             "'-the line is overloaded every day", ""],
        ]
        return {
            "outcomes": [outcomes[so.pk] for so in ops] + [outcome_total],
            "decision_times": [times[so.pk] for so in ops],
            "decision_time_distribution": [[b, n] for b, n in zip(bins, histogram, strict=True)],
            "limits": [limits[so.pk] for so in ops] + [limit_total],
            "limits_per_month": [
                [f"2025-{m:02d}", *months.get(f"{m:02d}", ("0", "0"))] for m in range(1, 13)
            ],
            # No records in the register here: tests/rules/test_r9_annual_report_register.py has them.
            "register": [[name, "0", "0.00", "0", "0.00", "0"] for name in (
                *(outcomes[so.pk][0] for so in ops), "All operators"
            )],
            "conditional_and_refused": decisions,
        }


@pytest.fixture
def data(cast) -> Data:
    return Data(cast)


def download(client, user, fmt: str, **params):
    client.force_login(user)
    return client.get(reverse("reports:report-download", args=[fmt]), {"year": YEAR, **params})


def parse_csv(body: bytes) -> dict[str, list[list[str]]]:
    tables: dict[str, list[list[str]]] = {}
    for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))):
        if row[0] == "table":
            continue
        tables.setdefault(row[0], []).append(row[1:])
    return tables


def _xlsx_text(cell) -> str:
    """The cell as the CSV shows it: two decimals where the sheet's number format says so, text
    neutralised (the workbook keeps text as written, typed as text)."""
    if cell.value is None:
        return ""
    if cell.number_format == "0.00":
        return f"{cell.value:.2f}"
    if isinstance(cell.value, str):
        return neutralise(cell.value)
    return str(cell.value)


def parse_xlsx(body: bytes) -> dict[str, list[list[str]]]:
    wb = load_workbook(io.BytesIO(body), read_only=True)
    tables = {}
    for ws in wb.worksheets:
        header, *rows = list(ws.iter_rows())
        # Read-only mode drops empty cells at the end of a row: pad to the header's width.
        tables[ws.title] = [
            [_xlsx_text(c) for c in row] + [""] * (len(header) - len(row)) for row in rows
        ]
    return tables


def pdf_text(body: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(body)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_csv_has_every_figure(client, data):
    response = download(client, data.cast.nra_analyst, "csv")
    assert response.status_code == 200
    assert response.streaming
    tables = parse_csv(b"".join(response.streaming_content))
    expected = data.expected()
    for key, rows in expected.items():
        assert tables[key] == rows, key
    assert tables["report"][0] == ["Year", "2025"]


def test_xlsx_has_every_figure_one_sheet_per_table(client, data):
    response = download(client, data.cast.nra_analyst, "xlsx")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    tables = parse_xlsx(body)
    expected = data.expected()
    assert list(tables) == ["report", *expected]
    for key, rows in expected.items():
        assert tables[key] == rows, key
    # Counts are numbers in the spreadsheet, not text.
    ws = load_workbook(io.BytesIO(body), read_only=True)["outcomes"]
    assert [c.value for c in next(ws.iter_rows(min_row=2, max_row=2))][3:] == [3, 1, 1, 1, 6]


def _pdf_rows(text: str) -> list[list[str]]:
    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines() if line.strip()]


def test_pdf_has_every_figure(client, data, tmp_path):
    response = download(client, data.cast.nra_analyst, "pdf")
    assert response.status_code == 200
    text = pdf_text(b"".join(response.streaming_content), tmp_path)
    lines = _pdf_rows(text)
    expected = data.expected()
    for key in ("outcomes", "decision_times", "decision_time_distribution", "limits", "limits_per_month"):
        for row in expected[key]:
            cells = [c for c in row if c != ""]
            assert cells in lines, (key, cells)
    for row in expected["conditional_and_refused"]:
        for cell in row:
            # Long texts wrap within their column: each word still appears. The PDF is no
            # spreadsheet: it shows texts as written, without the neutralising quote.
            for word in (cell[1:] if cell.startswith("'") else cell).split():
                assert word in text, (row, word)


def test_pdf_renders_pages_with_charts(client, data, tmp_path):
    body = b"".join(download(client, data.cast.nra_analyst, "pdf").streaming_content)
    (tmp_path / "r.pdf").write_bytes(body)
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(tmp_path / "r.pdf"), str(tmp_path / "page")], check=True
    )
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) >= 2
    assert all(p.stat().st_size > 1000 for p in pages)
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "r.pdf")], capture_output=True, text=True)
    if images.returncode == 0:  # three charts on the first page
        assert len([line for line in images.stdout.splitlines()[2:] if line.strip()]) >= 3


def test_the_three_formats_agree(client, data, tmp_path):
    user = data.cast.nra_analyst
    from_csv = parse_csv(b"".join(download(client, user, "csv").streaming_content))
    from_xlsx = parse_xlsx(b"".join(download(client, user, "xlsx").streaming_content))
    text = pdf_text(b"".join(download(client, user, "pdf").streaming_content), tmp_path)
    lines = _pdf_rows(text)
    for key in ("outcomes", "decision_times", "decision_time_distribution", "limits", "limits_per_month"):
        assert from_csv[key] == from_xlsx[key]
        for row in from_csv[key]:
            assert [c for c in row if c != ""] in lines
    assert from_csv["conditional_and_refused"] == from_xlsx["conditional_and_refused"]


def test_formula_starts_are_neutralised(client, data):
    for value in ("=1+1", "+46 8 123", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(value) == "'" + value
    assert neutralise("plain") == "plain"
    assert neutralise("") == ""
    # Where Excel may split the cell: at a semicolon (Swedish Excel's separator) or a comma,
    # after spaces or a quote too.
    assert neutralise("Nätområde;=1+1") == "Nätområde;'=1+1"
    assert neutralise('a, "=HYPERLINK(1)"') == "a,' \"=HYPERLINK(1)\""
    assert neutralise("x;@SUM(A1);-2") == "x;'@SUM(A1);'-2"
    assert neutralise("06:00–08:00, Mon; Tue") == "06:00–08:00, Mon; Tue"
    raw = b"".join(download(client, data.cast.nra_analyst, "csv").streaming_content)
    # However a spreadsheet program splits the lines (comma or semicolon), no part starts a formula.
    for line in raw.decode("utf-8-sig").splitlines():
        for part in re.split("[,;]", line):
            assert not part.lstrip(' "').startswith(("=", "+", "-", "@", "\t")), line
    rows = parse_csv(raw)
    refused = rows["conditional_and_refused"][1]
    assert refused[9] == "'" + INJECTION and refused[10].startswith("'-")
    body = b"".join(download(client, data.cast.nra_analyst, "xlsx").streaming_content)
    ws = load_workbook(io.BytesIO(body))["conditional_and_refused"]
    cell = ws.cell(row=3, column=10)
    # Text, not a formula, shown as written: no apostrophe, Excel's quote prefix instead.
    assert (cell.value, cell.data_type, cell.quotePrefix) == (INJECTION, "s", True)
    assert ws.cell(row=2, column=9).value == "@risk in winter mornings"
    assert ws.cell(row=2, column=9).quotePrefix


def test_file_names_carry_year_and_date_made(client, data):
    import time_machine

    with time_machine.travel(datetime(2026, 11, 22, 9, tzinfo=UTC)):
        for fmt in ("csv", "xlsx", "pdf"):
            response = download(client, data.cast.nra_analyst, fmt)
            assert (
                f'filename="gridprequal-annual-report-2025-made-2026-11-22.{fmt}"'
                in response["Content-Disposition"]
            )


# --- Who sees what (SPEC §4) -----------------------------------------------------------------


def test_page_shows_figures_and_charts_to_the_analyst(client, data):
    client.force_login(data.cast.nra_analyst)
    response = client.get(reverse("reports:report"), {"year": YEAR})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<svg") >= 3
    for name in ("Local DSO", "Svenska kraftnät", "Regional DSO", "81.50", "42.86"):
        assert name in body
    assert "risk in winter mornings" in body and "HYPERLINK" in body
    assert reverse("reports:report-download", args=["xlsx"]) in body


@pytest.mark.parametrize("persona", ["local_engineer", "local_viewer"])
def test_so_members_see_their_own_operator_only(client, data, persona):
    user = getattr(data.cast, persona)
    client.force_login(user)
    page = client.get(reverse("reports:report"), {"year": YEAR})
    assert page.status_code == 200
    assert "Svenska kraftnät" not in page.content.decode()
    tables = parse_csv(b"".join(download(client, user, "csv").streaming_content))
    for key, rows in data.expected(only_local=True).items():
        assert tables[key] == rows, key
    # Another operator's figures: 404, page and downloads alike.
    other = {"year": YEAR, "operator": data.cast.tso.pk}
    assert client.get(reverse("reports:report"), other).status_code == 404
    assert download(client, user, "xlsx", operator=data.cast.tso.pk).status_code == 404
    assert download(client, user, "csv", operator=data.cast.local.pk).status_code == 200


def test_analyst_narrows_by_operator_and_tier(client, data):
    tables = parse_csv(b"".join(
        download(client, data.cast.nra_analyst, "csv", operator=data.cast.local.pk).streaming_content
    ))
    assert tables["outcomes"] == data.expected(only_local=True)["outcomes"]
    tables = parse_csv(b"".join(download(client, data.cast.nra_analyst, "csv", tier="tso").streaming_content))
    assert [r[0] for r in tables["outcomes"]] == ["Svenska kraftnät", "All operators"]


@pytest.mark.parametrize("persona", ["fsp_a_user", "outsider"])
def test_fsps_and_outsiders_get_404(client, data, persona):
    client.force_login(getattr(data.cast, persona))
    assert client.get(reverse("reports:report"), {"year": YEAR}).status_code == 404
    for fmt in ("csv", "xlsx", "pdf"):
        assert client.get(reverse("reports:report-download", args=[fmt]), {"year": YEAR}).status_code == 404


def test_anonymous_is_sent_to_log_in(client, data):
    for url in (reverse("reports:report"), reverse("reports:report-download", args=["csv"])):
        response = client.get(url, {"year": YEAR})
        assert response.status_code == 302 and "login" in response["Location"]


def test_bad_year_gets_a_message_and_no_file(client, data):
    client.force_login(data.cast.nra_analyst)
    response = client.get(reverse("reports:report-download", args=["csv"]), {"year": "1850"})
    assert response.status_code == 400
    assert "Ensure this value is greater than or equal to 2000" in response.content.decode()
    assert client.get(reverse("reports:report-download", args=["doc"]), {"year": YEAR}).status_code == 404


def test_nav_links_the_report_for_analysts_and_so_members_only(client, data):
    link = reverse("reports:report")
    c = data.cast
    for user, shown in ((c.nra_analyst, True), (c.local_viewer, True), (c.fsp_a_user, False)):
        client.force_login(user)
        assert (f'href="{link}"' in client.get(reverse("prequal:product-list")).content.decode()) is shown


def test_pdf_text_beyond_one_font_subset_comes_out_right(client, data, tmp_path):
    # More than 256 distinct characters: the embedded font needs several subsets.
    chars = "".join(chr(c) for c in [*range(0x100, 0x180), *range(0x391, 0x3A2), *range(0x3A3, 0x3AA),
                                     *range(0x410, 0x450)])
    many = " ".join(chars[i:i + 16] for i in range(0, len(chars), 16))
    assert len(set(many + "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")) > 256
    data.decide(data.cast.local, S.NOT_APPROVED, utc(2025, 10, 1), 9, justification=many,
                limits_explanation="Ωmega and Ärende")
    text = pdf_text(b"".join(download(client, data.cast.nra_analyst, "pdf").streaming_content), tmp_path)
    flat = "".join(text.split())
    assert "".join(many.split()) in flat
    assert "Ωmega and Ärende" in text


def test_a_refused_change_of_a_published_limit_is_no_late_limit(client, data):
    limit = TemporaryLimit.objects.filter(system_operator=data.cast.local).first()
    LimitRefusal.objects.create(
        system_operator=data.cast.local, at=utc(2025, 4, 2), actor=data.cast.local_engineer, limit=limit,
        target_kind=TargetKind.SPU, target_id=data.case.spu_id, requested_start=utc(2025, 4, 2),
        latest_allowed_at=utc(2025, 4, 1),
    )
    tables = parse_csv(b"".join(download(client, data.cast.nra_analyst, "csv").streaming_content))
    assert tables["limits"] == data.expected()["limits"]

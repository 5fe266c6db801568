"""Browser: an FSP imports the CSV that Swedish Excel saves (Windows-1252, semicolons, decimal
commas); the page says how it read the file (issue 15, CSV imports)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from prequal.imports import COLUMNS
from prequal.models import Spu
from tests.browser.test_journey import Session, browser  # noqa: F401 (the fixture)
from tests.prequal.test_imports import row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _swedish_excel(cast) -> bytes:
    rows = [
        row(cast, 1, spu_name="Värmepump Åkersberga", max_up_kw="12,5", max_down_kw="0,5",
            x="18,0686", y="59,3293"),
        row(cast, 2, spu_name="Batteri Högdalen", max_down_kw="250,5", x="18,07", y="59,33"),
    ]
    lines = [";".join(COLUMNS)] + [";".join(values[c] for c in COLUMNS) for values in rows]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def test_an_fsp_imports_a_windows_1252_semicolon_csv_with_decimal_commas(
    browser, live_server, cast,  # noqa: F811 (the fixture imported above)
):
    fsp = Session(browser, live_server, cast.fsp_a_user.username)
    fsp.page.goto(f"{live_server.url}{reverse('prequal:import')}")
    fsp.page.locator("input[name=file]").set_input_files(
        {"name": "enheter.csv", "mimeType": "text/csv", "buffer": _swedish_excel(cast)}
    )
    fsp.page.locator("main form button[type=submit]").click()
    fsp.page.wait_for_load_state()

    assert fsp.page.url.endswith(reverse("prequal:spu-list"))
    assert "Read as Windows-1252, semicolon-separated, decimal comma." in fsp.messages()
    assert "2 SPUs and 2 new connection points imported" in fsp.messages()
    first = Spu.objects.get(fsp=cast.fsp_a, code="IMP-0001")
    assert (first.name, first.max_up_kw, first.max_down_kw) == ("Värmepump Åkersberga", Decimal("12.5"),
                                                                 Decimal("0.5"))
    assert fsp.page.locator("main", has_text="Batteri Högdalen").count() == 1
    fsp.close()

"""Browser: an FSP attaches a file to its application, an assessing SO reads it, another FSP gets 404
(issue 15, attachments)."""

from __future__ import annotations

from pathlib import Path

import pytest

from attachments.models import Attachment
from tests.attachments.files import PDF
from tests.browser.test_journey import Session, browser  # noqa: F401 (the fixture)
from tests.workflow_helpers import case_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT = "/tmp/gridprequal-attachments-so.png"  # the section as the assessing engineer sees it


def test_fsp_attaches_a_diagram_an_assessing_so_reads_it_another_fsp_gets_404(
    browser, live_server, wf, media, tmp_path,  # noqa: F811 (the fixture imported above)
):
    case = wf.submitted()

    fsp = Session(browser, live_server, wf.cast.fsp_a_user.username)
    fsp.page.goto(f"{live_server.url}{case_page(case)}")
    form = fsp.page.locator("[data-testid=attach-fsp]")
    form.locator("select[name=kind]").select_option("single_line_diagram")
    form.locator("input[name=file]").set_input_files(
        {"name": "Enlinjeschema BAT.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    form.locator("button[type=submit]").click()
    fsp.page.wait_for_load_state()
    assert "attached" in fsp.messages()
    row = fsp.page.locator("[data-testid=attachment]")
    assert row.count() == 1
    assert "Enlinjeschema BAT.pdf" in row.inner_text() and "Single-line diagram" in row.inner_text()
    attachment = Attachment.objects.get()
    download_url = f"{live_server.url}/resources/attachments/{attachment.pk}/download/"
    fsp.close()

    # The local DSO assesses the case: it sees the file on the case page and downloads it.
    engineer = Session(browser, live_server, wf.cast.local_engineer.username)
    engineer.page.goto(f"{live_server.url}{case_page(case)}")
    assert engineer.page.locator("[data-testid=attach-so]").count() == 1
    engineer.page.locator("#attachments").screenshot(path=SCREENSHOT)
    with engineer.page.expect_download() as info:
        engineer.page.click("[data-testid=attachment] a")
    download = info.value
    assert download.suggested_filename == "Enlinjeschema BAT.pdf"
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    assert Path(saved).read_bytes() == PDF
    engineer.close()

    # Another FSP: the case page and the file's URL are not found.
    other = Session(browser, live_server, wf.cast.fsp_b_user.username)
    assert other.page.request.get(download_url).status == 404
    assert other.page.request.get(f"{live_server.url}{case_page(case)}").status == 404
    other.close()

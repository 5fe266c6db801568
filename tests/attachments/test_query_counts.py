"""The attachments section and list cost a constant number of queries whatever their number."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attachments.services import attachment_create
from tests.attachments.files import PDF, PNG, upload
from tests.factories import SpuFactory
from tests.workflow_helpers import case_page

pytestmark = pytest.mark.django_db


def _attach(wf, case, n: int) -> None:
    for i in range(n):
        attachment_create(
            user=wf.cast.fsp_a_user, case=case, file=upload(f"d{i}.pdf", PDF), kind="data_sheet"
        )
        for so, engineer in ((wf.cast.local, wf.cast.local_engineer), (wf.cast.tso, wf.cast.tso_engineer)):
            attachment_create(user=engineer, case=case, file=upload(f"s{i}.png", PNG), kind="grid_study",
                              assessment=wf.assessment(case, so))


def _second_case(wf):
    """Another case with the same assessing operators: a second unit at the same point."""
    return wf.submitted(spu=SpuFactory(fsp=wf.cast.fsp_a, connection_point=wf.spu.connection_point))


def _count(get, url) -> tuple[int, object]:
    get(url)  # warm per-process caches (roles, content types)
    with CaptureQueriesContext(connection) as queries:
        response = get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("persona", ["fsp_a_user", "local_engineer", "nra_analyst"])
def test_the_case_page_costs_the_same_with_one_or_many_attachments(client, wf, media, persona):
    small_case, large_case = wf.submitted(), _second_case(wf)
    _attach(wf, small_case, 1)
    _attach(wf, large_case, 4)
    client.force_login(getattr(wf.cast, persona))

    small, _ = _count(client.get, case_page(small_case))
    large, response = _count(client.get, case_page(large_case))

    assert response.content.decode().count('data-testid="attachment"') == 12
    assert large == small, (small, large)


def test_the_api_list_costs_the_same_with_one_or_many_attachments(api_as, wf, media):
    small_case, large_case = wf.submitted(), _second_case(wf)
    _attach(wf, small_case, 1)
    _attach(wf, large_case, 4)
    api = api_as(wf.cast.tso_engineer)

    small, _ = _count(api.get, reverse("api:case-attachments", kwargs={"pk": small_case.pk}))
    large, response = _count(api.get, reverse("api:case-attachments", kwargs={"pk": large_case.pk}))

    assert len(response.json()) == 12
    assert large == small, (small, large)

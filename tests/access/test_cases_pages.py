"""Who may open the case pages, the queue and the decision form (SPEC §4, the assessments columns):
anonymous visitors, outsiders, other FSPs and SOs, read-only members, the TSO engineer, FSPs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from prequal.models import Assessment
from tests.personas import login
from tests.workflow_helpers import case_page, decide_by_form, decide_page

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client, wf):
    case = wf.submitted()
    for url in (reverse("prequal:case-list"), reverse("prequal:queue"), case_page(case),
                decide_page(wf.assessment(case, wf.cast.local))):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url


def test_outsiders_get_404_and_read_only_members_403(client, wf):
    case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)

    for outsider in (wf.cast.outsider, wf.cast.fsp_b_user, wf.cast.other_local_engineer):
        login(client, outsider)
        assert client.get(case_page(case)).status_code == 404
        assert client.get(decide_page(local)).status_code == 404

    login(client, wf.cast.local_viewer)
    assert client.get(case_page(case)).status_code == 200
    assert client.get(decide_page(local)).status_code == 403
    assert decide_by_form(client, local, outcome="approved").status_code == 403
    assert client.post(reverse("prequal:case-withdraw", kwargs={"pk": case.pk})).status_code == 403

    # The TSO engineer reads the case but cannot decide the local DSO's assessment.
    login(client, wf.cast.tso_engineer)
    assert client.get(case_page(case)).status_code == 200
    assert client.get(decide_page(local)).status_code == 403

    # An FSP has no queue.
    login(client, wf.cast.fsp_a_user)
    assert client.get(reverse("prequal:queue")).status_code == 403
    assert Assessment.objects.get(pk=local.pk).status == Assessment.Status.PENDING

"""Who may read, decide, withdraw and open cases over the REST API (SPEC §4: the assessments
columns of every row: SO engineer, SO viewer, FSP user / API client, NRA analyst, anonymous)."""

from __future__ import annotations

import pytest

from prequal.models import Assessment, Case
from tests.workflow_helpers import api_url, decide_body


@pytest.fixture
def submitted(wf):
    case = wf.submitted()
    return case, wf.assessment(case, wf.cast.local)


READS = ["case-detail", "case-assessing-sos"]


def test_anonymous_gets_401_everywhere(submitted, api_client):
    case, local = submitted
    for name, args in [
        ("case-list", ()),
        ("case-detail", (case.pk,)),
        ("assessment-queue", ()),
        ("assessment-detail", (local.pk,)),
    ]:
        assert api_client.get(api_url(name, *args)).status_code == 401
    for name, args in [
        ("case-submit", (case.pk,)),
        ("case-withdraw", (case.pk,)),
        ("assessment-decide", (local.pk,)),
        ("case-list", ()),
    ]:
        assert api_client.post(api_url(name, *args), {}, format="json").status_code == 401


@pytest.mark.parametrize(
    ("persona", "read"),
    [
        ("fsp_a_user", 200),
        ("fsp_b_user", 404),
        ("local_engineer", 200),
        ("local_viewer", 200),
        ("tso_engineer", 200),  # assesses as procuring SO
        ("regional_engineer", 404),  # no observability area here: not assessing
        ("other_local_engineer", 404),
        ("nra_analyst", 200),
        ("outsider", 404),
    ],
)
def test_who_reads_a_case(submitted, wf, api_as, persona, read):
    case, local = submitted
    client = api_as(getattr(wf.cast, persona))
    assert client.get(api_url("case-detail", case.pk)).status_code == read
    assert client.get(api_url("assessment-detail", local.pk)).status_code == read
    listed = client.get(api_url("case-list")).json()["results"]
    assert (case.pk in [c["id"] for c in listed]) is (read == 200)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("local_engineer", 200),
        ("local_viewer", 403),  # reads, decides nothing
        ("tso_engineer", 403),  # sees the local DSO's assessment, may not decide it
        ("nra_analyst", 403),
        ("fsp_a_user", 403),
        ("other_local_engineer", 404),  # an engineer of a non-assessing SO
        ("fsp_b_user", 404),
        ("outsider", 404),
    ],
)
def test_who_decides_the_local_assessment(submitted, wf, api_as, persona, expected):
    _, local = submitted
    response = api_as(getattr(wf.cast, persona)).post(
        api_url("assessment-decide", local.pk), decide_body(), format="json"
    )
    assert response.status_code == expected
    assert Assessment.objects.get(pk=local.pk).status == ("approved" if expected == 200 else "pending")


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("fsp_a_user", 200),
        ("local_engineer", 403),
        ("nra_analyst", 403),  # reads everything, changes nothing
        ("fsp_b_user", 404),
        ("other_local_engineer", 404),
        ("outsider", 404),
    ],
)
def test_who_withdraws(submitted, wf, api_as, persona, expected):
    case, _ = submitted
    response = api_as(getattr(wf.cast, persona)).post(api_url("case-withdraw", case.pk), {}, format="json")
    assert response.status_code == expected
    assert Case.objects.get(pk=case.pk).status == ("withdrawn" if expected == 200 else "under_assessment")


def test_only_fsp_users_open_cases(wf, api_as):
    for persona in ("local_engineer", "nra_analyst", "outsider"):
        response = api_as(getattr(wf.cast, persona)).post(
            api_url("case-list"), {"spu": wf.spu.pk, "product": "mfrr-energy"}, format="json"
        )
        assert response.status_code == 403
    response = api_as(wf.cast.fsp_b_user).post(
        api_url("case-list"), {"spu": wf.spu.pk, "product": "mfrr-energy"}, format="json"
    )
    assert response.status_code == 404  # another FSP's SPU
    assert not Case.objects.exists()


def test_drafts_stay_private_to_their_fsp(wf, api_as):
    draft = wf.draft()
    for persona, expected in (("fsp_a_user", 200), ("nra_analyst", 404), ("local_engineer", 404)):
        assert api_as(getattr(wf.cast, persona)).get(api_url("case-detail", draft.pk)).status_code == expected

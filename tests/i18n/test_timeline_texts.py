"""Timeline texts in the reader's language (issue 15): a reason the system composed (the deadline
sweep's silence, a re-assessment after an FSP changed its unit, information supplied, an
attachment) is stored as its msgid and parameters and written in the language of whoever reads the
page or the e-mail, whatever language the actor worked in. What a person typed stays as typed; the
API keeps the English it has always given; rows written before keep their text."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.utils import translation

from prequal.models import CaseEvent
from prequal.services.cases import assessment_declare_incomplete, case_supply_information
from prequal.services.resources import spu_update
from prequal.services.sweep import deadlines_sweep
from tests.personas import login
from tests.workflow_helpers import api_url, case_page

pytestmark = pytest.mark.django_db


def _timeline(client, user, case, language: str) -> str:
    login(client, user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(case_page(case)).content.decode()
    return page[page.index('data-testid="timeline"'):]


def test_the_sweeps_silence_reads_in_each_readers_language(wf, client):
    case = wf.submitted()
    deadline = max(a.deadline for a in case.assessments.all())
    with time_machine.travel(deadline + timedelta(minutes=1), tick=False), translation.override("en"):
        deadlines_sweep(now=deadline + timedelta(minutes=1))
        event = CaseEvent.objects.filter(case=case, action="apply_silence").first()
        basis = event.reason_params["basis"]
        assert event.reason == "No decision by the deadline (%(basis)s)." and basis
        swedish = _timeline(client, wf.cast.fsp_a_user, case, "sv")
        english = _timeline(client, wf.cast.fsp_a_user, case, "en")
    assert f"Inget beslut inom tidsfristen ({basis})." in swedish
    assert "No decision by the deadline" not in swedish
    assert f"No decision by the deadline ({basis})." in english and "Inget beslut" not in english


def test_a_change_an_fsp_made_in_swedish_reads_in_english_to_an_english_reader(wf, client, api_as):
    case = wf.submitted()
    with translation.override("sv"):
        spu_update(user=wf.cast.fsp_a_user, spu=wf.spu, max_up_kw=wf.spu.max_up_kw + Decimal(1))

    english = _timeline(client, wf.cast.local_engineer, case, "en")
    swedish = _timeline(client, wf.cast.local_engineer, case, "sv")
    assert f"Re-assessment: {wf.spu.code} changed: maximum up (kW)." in english
    assert "Omprövning" not in english and "max upp" not in english
    assert f"Omprövning: {wf.spu.code} ändrad: max upp (kW)." in swedish
    # The API gives the English it always gave, whoever asks in which language.
    timeline = api_as(wf.cast.local_engineer).get(
        api_url("case-detail", case.pk), HTTP_ACCEPT_LANGUAGE="sv").json()["timeline"]
    assert f"Re-assessment: {wf.spu.code} changed: maximum up (kW)." in [e["reason"] for e in timeline]


def test_what_a_person_typed_stays_as_typed_inside_a_translated_text(wf, client):
    case = wf.submitted()
    assessment_declare_incomplete(
        user=wf.cast.local_engineer, assessment=wf.assessment(case, wf.cast.local),
        missing_information="Single-line diagram",
    )
    with translation.override("en"):
        case_supply_information(user=wf.cast.fsp_a_user, case=case, information="Här är enlinjeschemat")

    swedish = _timeline(client, wf.cast.local_engineer, case, "sv")
    english = _timeline(client, wf.cast.local_engineer, case, "en")
    assert "Information kompletterad: Här är enlinjeschemat" in swedish
    assert "Information supplied: Här är enlinjeschemat" in english


def test_a_row_written_before_keeps_its_text(wf, client):
    case = wf.submitted()
    CaseEvent.objects.create(
        case=case, action="note", to_state=case.status, reason="Assessments opened for X."
    )

    assert "Assessments opened for X." in _timeline(client, wf.cast.fsp_a_user, case, "sv")

"""The case timeline in the reader's language (issue 15): the system's fixed reasons are stored as
their English msgid, whoever's language was active when they were written, and translated when a
page or an e-mail shows them; what a person wrote is shown as written."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation

from prequal.models import CaseEvent
from prequal.templatetags.prequal_cases import event_reason
from tests.personas import login
from tests.workflow_helpers import approve, case_page

pytestmark = pytest.mark.django_db

DECIDED = "All assessments are decided."


def _decided_by_swedish_engineers(wf):
    case = wf.submitted()
    engineers = {
        wf.cast.local: wf.cast.local_engineer, wf.cast.regional: wf.cast.regional_engineer,
        wf.cast.tso: wf.cast.tso_engineer,
    }
    with translation.override("sv"):
        for assessment in case.assessments.all():
            approve(engineers[assessment.system_operator], assessment)
    return case


def _timeline(client, case, language: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(case_page(case)).content.decode()
    return page[page.index('data-testid="timeline"'):]


def test_the_outcome_reason_is_stored_in_english_and_shown_in_each_readers_language(client, wf):
    case = _decided_by_swedish_engineers(wf)

    assert CaseEvent.objects.filter(case=case, via=CaseEvent.Via.SYSTEM, reason=DECIDED).count() == 1
    login(client, wf.cast.fsp_a_user)
    swedish = _timeline(client, case, "sv")
    assert "Alla bedömningar är avgjorda." in swedish and DECIDED not in swedish
    english = _timeline(client, case, "en")
    assert DECIDED in english and "Alla bedömningar är avgjorda." not in english


def test_a_reason_a_person_wrote_is_shown_as_written():
    with translation.override("sv"):
        assert event_reason("Feeder F12 is congested on winter mornings") == (
            "Feeder F12 is congested on winter mornings"
        )
        assert event_reason(DECIDED) == "Alla bedömningar är avgjorda."
        assert event_reason("") == ""

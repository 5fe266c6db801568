"""Each user's language: remembered from the language switcher, applied at log-in, and used for
the e-mails they receive (case events, deadline reminders, temporary limits)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse

from accounts.models import User
from limits.services import limit_lift
from prequal.services.cases import assessment_decide
from prequal.services.sweep import deadlines_sweep
from tests.limit_helpers import START, create
from tests.workflow_helpers import T0

COOKIE = settings.LANGUAGE_COOKIE_NAME
PASSWORD = "pw-for-tests-1"  # tests/factories.py UserFactory


def _switch(client, language: str):
    return client.post(reverse("set_language"), {"language": language, "next": "/"})


def _language(user: User) -> str:
    user.refresh_from_db()
    return user.language


# --- remembering and applying the choice ----------------------------------------------------------


def test_switching_language_remembers_it_for_the_logged_in_user(client, cast):
    client.force_login(cast.fsp_a_user)

    assert _switch(client, "sv").status_code == 302

    assert client.cookies[COOKIE].value == "sv"
    assert _language(cast.fsp_a_user) == "sv"
    assert _language(cast.fsp_b_user) == ""  # nobody else's


def test_an_unknown_language_changes_nothing(client, cast):
    cast.fsp_a_user.language = "sv"
    cast.fsp_a_user.save()
    client.force_login(cast.fsp_a_user)

    _switch(client, "xx")

    assert _language(cast.fsp_a_user) == "sv"
    assert COOKIE not in client.cookies


def test_switching_before_logging_in_stores_nothing(client, cast):
    _switch(client, "sv")

    assert not User.objects.exclude(language="").exists()


def test_logging_in_on_a_new_browser_applies_the_remembered_language(client, cast):
    cast.fsp_a_user.language = "sv"
    cast.fsp_a_user.save()

    response = client.post(reverse("login"), {"username": "fsp_a_user", "password": PASSWORD})

    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "sv"
    page = client.get(reverse("prequal:spu-list"))
    assert page["Content-Language"] == "sv"


def test_a_language_picked_on_the_login_page_wins_and_is_remembered(client, cast):
    cast.fsp_a_user.language = "sv"
    cast.fsp_a_user.save()
    _switch(client, "en")

    response = client.post(reverse("login"), {"username": "fsp_a_user", "password": PASSWORD})

    assert response.status_code == 302
    assert _language(cast.fsp_a_user) == "en"
    assert client.get(reverse("prequal:spu-list"))["Content-Language"] == "en"


def test_a_failed_login_changes_no_language(client, cast):
    _switch(client, "sv")

    response = client.post(reverse("login"), {"username": "fsp_a_user", "password": "wrong"})

    assert response.status_code == 200
    assert _language(cast.fsp_a_user) == ""


# --- e-mails in each recipient's language -----------------------------------------------------------


def _by_recipient():
    return {m.to[0]: m for m in mail.outbox}


def test_a_case_event_reaches_each_recipient_in_their_language(wf, django_capture_on_commit_callbacks):
    cast = wf.cast
    cast.local_engineer.language = "sv"
    cast.local_engineer.save()
    with time_machine.travel(T0, tick=False):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            case = wf.submitted()

    sent = _by_recipient()
    swedish, english = sent["local_engineer@example.org"], sent["tso_engineer@example.org"]
    ref = f"({case.resource}, {case.product})"
    assert swedish.subject == f"[gridprequal] Ny bedömning: Ärende nr {case.pk} {ref}"
    assert f"Ärende nr {case.pk}: {case.resource} ansöker för {case.product}." in swedish.body
    assert "Öppna ärendet" in swedish.body
    assert english.subject == f"[gridprequal] New assessment: Case #{case.pk} {ref}"
    assert "Open the case" in english.body and "Öppna" not in english.body
    assert all(len(m.to) == 1 for m in mail.outbox)  # still one message per recipient


def test_a_decision_e_mail_names_the_operator_unescaped(wf, django_capture_on_commit_callbacks):
    cast = wf.cast
    cast.local.organisation.name = "Nät & Kraft AB"
    cast.local.organisation.save()
    with time_machine.travel(T0, tick=False):
        case = wf.submitted()
        assessment = wf.assessment(case, cast.local)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assessment_decide(user=cast.local_engineer, assessment=assessment, outcome="approved")

    [message] = [m for m in mail.outbox if m.to == ["fsp_a_user@example.org"]]
    assert "Nät & Kraft AB" in message.subject
    assert "Nät & Kraft AB" in message.body and "&amp;" not in message.body


def test_a_reminder_in_the_engineers_language_and_the_sos_zone(wf, django_capture_on_commit_callbacks):
    cast = wf.cast
    cast.local_engineer.language = "sv"
    cast.local_engineer.save()
    cast.local.time_zone = "Europe/Helsinki"
    cast.local.save()
    with time_machine.travel(T0, tick=False):
        case = wf.submitted()
    assessment = wf.assessment(case, cast.local)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep(now=assessment.deadline - timedelta(days=1))

    [message] = [m for m in mail.outbox if m.to == ["local_engineer@example.org"]]
    assert message.subject == f"[gridprequal] Tidsfrist om 1 dag: ärende nr {case.pk}"
    helsinki = assessment.deadline.astimezone(ZoneInfo("Europe/Helsinki"))
    assert helsinki.strftime("%Y-%m-%d %H:%M") + " EE" in message.body  # EET or EEST
    assert "har ännu inte fattat beslut" in message.body


def test_a_temporary_limit_reaches_each_fsp_user_in_their_language(grid, django_capture_on_commit_callbacks):
    swedish = grid.cast.fsp_a_user
    swedish.email, swedish.language = "a@fsp.example", "sv"
    swedish.save()
    colleague = User.objects.create_user("fsp_a_colleague", email="a2@fsp.example", password=PASSWORD)
    colleague.memberships.create(organisation=swedish.memberships.get().organisation,
                                 role=swedish.memberships.get().role)

    with django_capture_on_commit_callbacks(execute=True):
        limit = create(grid)

    sent = _by_recipient()
    assert set(sent) == {"a@fsp.example", "a2@fsp.example"}
    assert sent["a@fsp.example"].subject.startswith("[gridprequal] Tillfällig begränsning för ")
    assert "har publicerat en tillfällig begränsning" in sent["a@fsp.example"].body
    assert sent["a2@fsp.example"].subject.startswith("[gridprequal] Temporary limit on ")
    assert "2027-06-01 14:00 CEST" in sent["a2@fsp.example"].body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), time_machine.travel(START, tick=False):
        limit_lift(user=grid.cast.local_engineer, limit=limit)
    assert {m.to[0]: "lifted" in m.subject for m in mail.outbox} == {
        "a@fsp.example": False, "a2@fsp.example": True}

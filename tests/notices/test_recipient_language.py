"""A notification reads in its recipient's language, not in that of whoever acted (issue 15).

The engineer or FSP who triggers an event works in one language (the active one of their
request); each recipient's row in the bell's list and e-mail are written in the recipient's own
(User.language), numbers included ("1 234,5 MW" for a Swedish reader, "1,234.5 MW" for an
English one), with identifiers unlocalized ("#1234", never "#1 234").
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from notices.models import Notification
from prequal.services.cases import assessment_declare_incomplete
from tests.limit_helpers import create
from tests.personas import login

pytestmark = pytest.mark.django_db

K = Notification.Kind


def _speaks(user, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


def _bell_list(client, user, language: str) -> str:
    login(client, user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(reverse("notices:list")).content.decode()


@pytest.mark.parametrize(("engineer_speaks", "fsp_speaks", "subject", "foreign"), [
    ("sv", "en", "Information missing: ", "Information saknas"),
    ("en", "sv", "Information saknas: ", "Information missing"),
])
def test_an_engineers_request_reaches_the_fsp_in_the_fsps_language(
    wf, client, django_capture_on_commit_callbacks, engineer_speaks, fsp_speaks, subject, foreign,
):
    _speaks(wf.cast.local_engineer, engineer_speaks)
    _speaks(wf.cast.fsp_a_user, fsp_speaks)
    case = wf.submitted()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), translation.override(engineer_speaks):
        assessment_declare_incomplete(
            user=wf.cast.local_engineer, assessment=wf.assessment(case, wf.cast.local),
            missing_information="Single-line diagram",
        )

    row = Notification.objects.get(user=wf.cast.fsp_a_user, kind=K.INFORMATION_REQUESTED)
    [email] = [m for m in mail.outbox if m.to == [wf.cast.fsp_a_user.email]]
    assert row.subject.startswith(subject) and email.subject == "[gridprequal] " + row.subject
    assert foreign not in email.body and email.body == row.body
    page = _bell_list(client, wf.cast.fsp_a_user, fsp_speaks)
    assert row.subject in page and foreign not in page


@pytest.mark.parametrize(("engineer_speaks", "fsp_speaks", "quantity", "foreign"), [
    ("sv", "en", "1,234.5 MW", "1\u00a0234,5"),
    ("en", "sv", "1\u00a0234,5 MW", "1,234.5"),
])
def test_a_limit_reaches_the_fsp_with_its_quantity_in_the_fsps_language(
    grid, client, django_capture_on_commit_callbacks, engineer_speaks, fsp_speaks, quantity, foreign,
):
    _speaks(grid.cast.local_engineer, engineer_speaks)
    _speaks(grid.cast.fsp_a_user, fsp_speaks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), translation.override(engineer_speaks):
        create(grid, quantity_mw=Decimal("1234.5"))

    row = Notification.objects.get(user=grid.cast.fsp_a_user, kind=K.LIMIT_PUBLISHED)
    [email] = [m for m in mail.outbox if m.to == [grid.cast.fsp_a_user.email]]
    assert quantity in email.body and foreign not in email.body and row.body == email.body
    assert ("Tillfällig begränsning" in row.subject) == (fsp_speaks == "sv")

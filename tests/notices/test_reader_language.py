"""A notification reads in its reader's language at read time (issue 15): the bell's list and the
API show the subject and body in the language the user reads in now, numbers in that language's
form, even after the user switched language since the event; the e-mail stays in the language the
recipient had when it was sent; rows written before keep the text they have."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext

from notices.models import Notification
from prequal.notifications import _case_ref
from prequal.services.cases import assessment_declare_incomplete
from tests.limit_helpers import create
from tests.notices.helpers import make_notices
from tests.personas import login

pytestmark = pytest.mark.django_db

K = Notification.Kind
OTHER = {"sv": "en", "en": "sv"}


def _speaks(user, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


def _switch(client, language: str) -> None:
    """The site's language switch, as the header's form posts it (it also keeps User.language)."""
    response = client.post(reverse("set_language"), {"language": language, "next": "/"})
    assert response.status_code == 302


def _shown_subjects(client) -> dict[int, str]:
    """Each row of the list page: its id and the subject's text as the reader sees it."""
    page = client.get(reverse("notices:list")).content.decode()
    rows = re.findall(r'data-notice="(\d+)".*?<span data-as-written>(.*?)</span>', page, re.S)
    return {int(pk): unescape(re.sub(r"<[^>]+>", "", text)).strip() for pk, text in rows}


def _information_missing(case, language: str) -> str:
    with translation.override(language):
        return gettext("Information missing: %(ref)s") % {"ref": _case_ref(case)}


@pytest.mark.parametrize("first", ["sv", "en"])
def test_a_notification_follows_the_readers_language_switch(
    wf, client, django_capture_on_commit_callbacks, first,
):
    fsp_user = wf.cast.fsp_a_user
    _speaks(fsp_user, first)
    case = wf.submitted()
    with django_capture_on_commit_callbacks(execute=True):
        assessment_declare_incomplete(
            user=wf.cast.local_engineer, assessment=wf.assessment(case, wf.cast.local),
            missing_information="Single-line diagram",
        )
    row = Notification.objects.get(user=fsp_user, kind=K.INFORMATION_REQUESTED)
    then, now = _information_missing(case, first), _information_missing(case, OTHER[first])
    assert then != now and row.subject == then  # the row (and the e-mail) in the language of then

    login(client, fsp_user)
    _switch(client, first)
    assert _shown_subjects(client)[row.pk] == then
    _switch(client, OTHER[first])
    fsp_user.refresh_from_db()
    assert fsp_user.language == OTHER[first]
    assert _shown_subjects(client)[row.pk] == now
    # The API answers in the reader's language too.
    api = client.get("/api/notifications/", HTTP_ACCEPT_LANGUAGE=OTHER[first]).json()
    [answer] = [r for r in api["results"] if r["id"] == row.pk]
    assert answer["subject"] == now
    with translation.override(OTHER[first]):
        assert answer["body"] == row.texts[OTHER[first]][1] and gettext("Case") in answer["body"]


@pytest.mark.parametrize("reader", ["sv", "en"])
def test_a_limits_quantity_is_in_the_readers_number_form(grid, client, django_capture_on_commit_callbacks,
                                                         reader):
    _speaks(grid.cast.fsp_a_user, OTHER[reader])
    with django_capture_on_commit_callbacks(execute=True):
        create(grid, quantity_mw=Decimal("1234.5"))
    row = Notification.objects.get(user=grid.cast.fsp_a_user, kind=K.LIMIT_PUBLISHED)
    with translation.override(reader):
        quantity = number_format(Decimal("1234.5"), 1, use_l10n=True, force_grouping=True) + " MW"
    login(client, grid.cast.fsp_a_user)
    _switch(client, reader)
    page = client.get(reverse("notices:list")).content.decode()
    body = unescape(page[page.index(f'data-notice="{row.pk}"'):])
    body = body[body.index('class="notice-body"'):]
    assert quantity in body
    other = row.texts[OTHER[reader]][1]
    assert other != row.texts[reader][1] and quantity not in other


def test_rows_written_before_keep_their_text_in_every_language(client, cast):
    [old] = make_notices(cast.fsp_a_user)
    assert old.texts == {}
    login(client, cast.fsp_a_user)
    for language in (code for code, _name in settings.LANGUAGES):
        _switch(client, language)
        assert _shown_subjects(client)[old.pk] == old.subject

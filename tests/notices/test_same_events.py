"""The same events feed the e-mails and the in-app list (issue 15): one notify() for both.

Each event a user must act on or should know of (SPEC §5) writes one notification per recipient
and sends the e-mail to those who keep e-mail on for that kind, in each one's language.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from limits.services import limit_lift
from notices.models import Notification
from notices.services import email_preferences_set, notify
from prequal.services.cases import assessment_declare_incomplete, case_supply_information
from prequal.services.sweep import deadlines_sweep
from tests.limit_helpers import START, create
from tests.workflow_helpers import T0

K = Notification.Kind


def _declare_incomplete(wf, case):
    assessment_declare_incomplete(
        user=wf.cast.local_engineer, assessment=wf.assessment(case, wf.cast.local),
        missing_information="Single-line diagram",
    )


def _case_path(case) -> str:
    return reverse("prequal:case-detail", kwargs={"pk": case.pk})


def _rows(user) -> list[tuple[str, str, str]]:
    return list(Notification.objects.filter(user=user).values_list("kind", "subject", "url"))


def test_a_case_event_writes_the_row_and_the_email_alike(wf, django_capture_on_commit_callbacks):
    case = wf.submitted()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _declare_incomplete(wf, case)

    [email] = mail.outbox
    [(kind, subject, url)] = _rows(wf.cast.fsp_a_user)
    assert kind == K.INFORMATION_REQUESTED
    assert email.to == [wf.cast.fsp_a_user.email]
    assert email.subject == "[gridprequal] " + subject
    assert url == _case_path(case)
    assert url in email.body
    assert Notification.objects.get(user=wf.cast.fsp_a_user).body == email.body
    # Bystanders hear nothing: only the FSP is asked for information.
    assert Notification.objects.exclude(user=wf.cast.fsp_a_user).filter(kind=kind).count() == 0


def test_engineers_get_rows_for_their_events(wf, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = wf.submitted()
    assert {kind for kind, _s, _u in _rows(wf.cast.local_engineer)} == {K.CASE_SUBMITTED}
    assert not _rows(wf.cast.local_viewer)  # viewers decide nothing and are not asked to
    with django_capture_on_commit_callbacks(execute=True):
        _declare_incomplete(wf, case)
    with django_capture_on_commit_callbacks(execute=True):
        case_supply_information(user=wf.cast.fsp_a_user, case=case, information="Attached")
    assert K.INFORMATION_SUPPLIED in {kind for kind, _s, _u in _rows(wf.cast.local_engineer)}


def test_reminders_write_rows_too(wf, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False):
        case = wf.submitted()
    deadline = wf.assessment(case, wf.cast.local).deadline
    with django_capture_on_commit_callbacks(execute=True):
        assert deadlines_sweep(now=deadline - timedelta(days=7)).reminded == 2
    rows = Notification.objects.filter(kind=K.DEADLINE_REMINDER)
    assert set(rows.values_list("user__username", flat=True)) == {"local_engineer", "tso_engineer"}
    assert set(rows.values_list("url", flat=True)) == {_case_path(case)}


def test_limits_published_and_lifted_reach_the_fsp_in_the_app(grid, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        limit = create(grid)
    with django_capture_on_commit_callbacks(execute=True), time_machine.travel(START, tick=False):
        limit_lift(user=grid.cast.local_engineer, limit=limit)
    rows = _rows(grid.cast.fsp_a_user)
    assert [kind for kind, _s, _u in sorted(rows)] == [K.LIMIT_LIFTED, K.LIMIT_PUBLISHED]
    assert {url for _k, _s, url in rows} == {reverse("limits:limit-detail", kwargs={"pk": limit.pk})}
    assert not _rows(grid.cast.fsp_b_user)
    assert len(mail.outbox) == 2


def test_email_off_for_a_kind_keeps_the_row_and_sends_no_email(wf, django_capture_on_commit_callbacks):
    email_preferences_set(
        user=wf.cast.fsp_a_user, email_kinds=set(K.values) - {K.INFORMATION_REQUESTED})
    case = wf.submitted()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _declare_incomplete(wf, case)
    assert mail.outbox == []
    assert [kind for kind, _s, _u in _rows(wf.cast.fsp_a_user)] == [K.INFORMATION_REQUESTED]

    # Other kinds still come by e-mail.
    with django_capture_on_commit_callbacks(execute=True):
        case_supply_information(user=wf.cast.fsp_a_user, case=case, information="Here")
    assert {m.to[0] for m in mail.outbox} >= {wf.cast.local_engineer.email}


def test_only_that_users_choice_counts(wf, django_capture_on_commit_callbacks):
    """One engineer turns e-mail off for new assessments; the other engineer still gets them."""
    email_preferences_set(user=wf.cast.local_engineer, email_kinds=[])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        wf.submitted()
    assert [m.to for m in mail.outbox] == [[wf.cast.tso_engineer.email]]
    assert Notification.objects.filter(kind=K.CASE_SUBMITTED).count() == 2


def test_each_recipient_reads_it_in_their_language(wf, django_capture_on_commit_callbacks):
    wf.cast.fsp_a_user.language = "sv"
    wf.cast.fsp_a_user.save()
    case = wf.submitted()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _declare_incomplete(wf, case)
    row = Notification.objects.get(user=wf.cast.fsp_a_user)
    [email] = mail.outbox
    # The row keeps the language it was written in: the same Swedish subject as the e-mail.
    assert email.subject == "[gridprequal] " + row.subject
    assert row.subject.startswith("Information saknas")


@pytest.mark.django_db
def test_notify_writes_one_row_per_user_and_one_email_per_address(cast):
    cast.fsp_b_user.email = ""
    cast.fsp_b_user.save()
    users = [cast.fsp_a_user, cast.fsp_a_user, cast.fsp_b_user, cast.local_engineer]
    sent = notify(users=users, kind=K.CASE_EXPIRED, subject_for=lambda: "Subject", body_for=lambda: "Body",
                  path="/x/")
    assert sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([cast.fsp_a_user.email, cast.local_engineer.email])
    assert Notification.objects.filter(kind=K.CASE_EXPIRED).count() == 3


@override_settings(GRIDPREQUAL_PUBLIC_URL="https://grid.example.org/prequal")
def test_email_links_use_the_public_address(wf, django_capture_on_commit_callbacks):
    case = wf.submitted()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _declare_incomplete(wf, case)
    [email] = mail.outbox
    assert "https://grid.example.org/prequal" + _case_path(case) in email.body
    assert "127.0.0.1" not in email.body
    assert Notification.objects.get(user=wf.cast.fsp_a_user).url == _case_path(case)

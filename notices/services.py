"""Notify users of an event: in the app always, by e-mail unless they chose otherwise (issue 15).

Every e-mail a user receives goes through notify(): prequal.notifications (cases, reminders) and
limits.notifications (temporary limits) call it after commit, so the list page and the e-mails
are fed by the same events. One message per recipient, in the recipient's language (common.mail).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import groupby

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from accounts.models import User
from common import mail
from notices.models import EmailPreference, Notification

SUBJECT_MAX = Notification._meta.get_field("subject").max_length


def notify(
    *, users: Iterable[User], kind: str, subject_for: Callable[[], str], body_for: Callable[[], str],
    path: str = "",
) -> int:
    """Write one notification per active user and e-mail those who want this kind; returns the
    number of e-mails sent.

    subject_for() and body_for() are called once per language, with that language active (numbers
    in its form): every row keeps them all, so the bell's list shows each reader's language at read
    time; the e-mail and the row's subject and body are the recipient's. The body links to the
    site's public address (mail.site_url), the row keeps `path`.
    """
    unique = {user.pk: user for user in users if user.is_active}
    if not unique:
        return 0
    muted = set(EmailPreference.objects.filter(
        user__in=list(unique), kind=kind, email=False).values_list("user_id", flat=True))
    ordered = sorted(unique.values(), key=lambda user: (user.email_language, user.pk))
    languages = dict.fromkeys([code for code, _name in settings.LANGUAGES]
                              + [user.email_language for user in ordered])
    texts = {language: _written(language, subject_for, body_for) for language in languages}
    now = timezone.now()
    rows: list[Notification] = []
    messages = []
    addressed: set[str] = set()
    for language, group in groupby(ordered, key=lambda user: user.email_language):
        group = list(group)
        subject, body = texts[language]
        rows += [Notification(user=user, kind=kind, subject=subject[:SUBJECT_MAX], body=body, url=path,
                              texts=texts, created_at=now) for user in group]
        addresses = sorted({user.email for user in group if user.email and user.pk not in muted} - addressed)
        addressed.update(addresses)
        messages += mail.messages_to(addresses, subject=subject, body=body)
    Notification.objects.bulk_create(rows)
    return mail.send(messages)


def _written(language: str, subject_for: Callable[[], str], body_for: Callable[[], str]) -> list[str]:
    with translation.override(language):
        return [str(subject_for()), str(body_for())]


def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark one of the user's notifications read (the caller fetched it through the selector)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at)
    return notification


def notification_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the user read; returns how many."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def email_preferences_set(*, user: User, email_kinds: Iterable[str]) -> dict[str, bool]:
    """Keep the user's choice per kind: e-mail for the kinds in `email_kinds`, in the app only for
    the others. Returns the choice per kind."""
    wanted = set(email_kinds)
    unknown = wanted - set(Notification.Kind.values)
    if unknown:
        raise ValueError(f"Unknown kinds: {sorted(unknown)}")
    choice = {kind: kind in wanted for kind in Notification.Kind.values}
    EmailPreference.objects.filter(user=user).delete()
    EmailPreference.objects.bulk_create(
        [EmailPreference(user=user, kind=kind, email=email) for kind, email in choice.items()])
    return choice

"""Notify the FSPs concerned by a limit, at once (SPEC R7, §5).

Called after commit by limits.services; through notices.services.notify: in the app always, by
e-mail unless the user chose otherwise; one message per recipient, in the recipient's language
(common.mail). Console backend by default (settings.EMAIL_BACKEND).
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Membership, User
from common import mail
from limits.models import LimitEvent, TemporaryLimit
from limits.services import local_time_label
from notices.models import Notification
from notices.services import notify

KINDS = {
    LimitEvent.Action.CREATE: Notification.Kind.LIMIT_PUBLISHED,
    LimitEvent.Action.UPDATE: Notification.Kind.LIMIT_CHANGED,
    LimitEvent.Action.LIFT: Notification.Kind.LIMIT_LIFTED,
}


def limit_recipients(*, limit: TemporaryLimit) -> list[User]:
    """The FSP users of every FSP concerned by the limit."""
    return list(User.objects.filter(
        is_active=True,
        memberships__role=Membership.Role.FSP_USER,
        memberships__organisation__fsp__in=limit.concerns.values("fsp_id"),
    ).distinct())


def _subject(limit: TemporaryLimit, action: str) -> str:
    return {
        LimitEvent.Action.CREATE: _("Temporary limit on %(target)s"),
        LimitEvent.Action.UPDATE: _("Temporary limit changed on %(target)s"),
        LimitEvent.Action.LIFT: _("Temporary limit lifted on %(target)s"),
    }[action] % {"target": limit.target_label}


def limit_notify(*, limit_id: int, action: str) -> int:
    """Notify of a published, changed or lifted limit; returns the number of e-mails sent."""
    limit = TemporaryLimit.objects.select_related(
        "system_operator__organisation", "spu", "spg", "connection_point"
    ).get(pk=limit_id)
    tz = limit.system_operator.time_zone
    path = reverse("limits:limit-detail", kwargs={"pk": limit.pk})
    context = {
        "limit": limit,
        "action": action,
        "start": local_time_label(limit.start, time_zone=tz),
        "end": local_time_label(limit.end, time_zone=tz),
        "lifted": local_time_label(limit.lifted_at, time_zone=tz) if limit.lifted_at else "",
        "url": mail.site_url(path),
    }
    return notify(
        users=limit_recipients(limit=limit), kind=KINDS[action], path=path,
        subject_for=lambda: _subject(limit, action),
        body_for=lambda: render_to_string("limits/email/limit.txt", context),
    )

"""E-mail to the FSPs concerned by a limit, at once (SPEC R7, §5).

Called after commit by limits.services. One message per recipient, in the recipient's language
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


def limit_recipients(*, limit: TemporaryLimit) -> list[tuple[str, str]]:
    """(address, language) of the FSP users of every FSP concerned by the limit."""
    return mail.recipients(User.objects.filter(
        is_active=True,
        memberships__role=Membership.Role.FSP_USER,
        memberships__organisation__fsp__in=limit.concerns.values("fsp_id"),
    ).distinct())


def limit_notify(*, limit_id: int, action: str) -> int:
    """Send the e-mails for a published, changed or lifted limit; returns the number sent."""
    limit = TemporaryLimit.objects.select_related(
        "system_operator__organisation", "spu", "spg", "connection_point"
    ).get(pk=limit_id)
    tz = limit.system_operator.time_zone
    url = mail.site_url(reverse("limits:limit-detail", kwargs={"pk": limit.pk}))
    messages = []
    for addresses in mail.in_each_language(limit_recipients(limit=limit)):
        subject = {
            LimitEvent.Action.CREATE: _("Temporary limit on %(target)s"),
            LimitEvent.Action.UPDATE: _("Temporary limit changed on %(target)s"),
            LimitEvent.Action.LIFT: _("Temporary limit lifted on %(target)s"),
        }[action] % {"target": limit.target_label}
        body = render_to_string("limits/email/limit.txt", {
            "limit": limit,
            "action": action,
            "start": local_time_label(limit.start, time_zone=tz),
            "end": local_time_label(limit.end, time_zone=tz),
            "lifted": local_time_label(limit.lifted_at, time_zone=tz) if limit.lifted_at else "",
            "url": url,
        })
        messages += mail.messages_to(addresses, subject=subject, body=body)
    return mail.send(messages)

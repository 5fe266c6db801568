"""Notifications for the tests of the notices app: rows written as notify() writes them."""

from __future__ import annotations

from notices.models import Notification


def make_notices(user, count: int = 1, *, kind: str = Notification.Kind.CASE_SUBMITTED) -> list[Notification]:
    return Notification.objects.bulk_create([
        Notification(user=user, kind=kind, subject=f"Notice {n}", body="Body", url="/cases/1/")
        for n in range(count)
    ])

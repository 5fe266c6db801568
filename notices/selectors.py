"""A user's own notifications and e-mail choices; nobody reads another's (404, SPEC §4)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from notices.models import EmailPreference, Notification


def notification_unread_count(*, user: User) -> int:
    """The bell's figure: one query on the partial index of unread rows."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_list_for_user(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-pk")


def notification_get_for_user(*, user: User, pk: int) -> Notification:
    """The user's own notification, or 404 (someone else's looks like one that does not exist)."""
    return get_object_or_404(Notification, pk=pk, user=user)


def email_preferences_for_user(*, user: User) -> dict[str, bool]:
    """Per kind: whether it also comes by e-mail (no row: yes, as before notifications existed)."""
    chosen = dict(EmailPreference.objects.filter(user=user).values_list("kind", "email"))
    return {kind: chosen.get(kind, True) for kind in Notification.Kind.values}

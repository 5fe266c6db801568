from django.utils.functional import SimpleLazyObject

from notices.selectors import notification_unread_count


def unread(request):
    """The bell's unread count, counted only when a template shows it (one query per page)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notices_unread": 0}
    return {"notices_unread": SimpleLazyObject(lambda: notification_unread_count(user=user))}

"""The notification list, marking read, and the e-mail preferences (issue 15). No JavaScript needed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from common.pagination import paginate
from notices.forms import EmailPreferencesForm
from notices.selectors import (
    email_preferences_for_user,
    notification_get_for_user,
    notification_list_for_user,
)
from notices.services import email_preferences_set, notification_mark_all_read, notification_mark_read


def _back(request: HttpRequest) -> HttpResponse:
    """Back to where the form was (a page of the list), never off the site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("notices:list")


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    qs = notification_list_for_user(user=request.user, unread_only=unread_only)
    return render(request, "notices/notification_list.html", {
        "page_obj": paginate(request, qs), "unread_only": unread_only,
    })


@require_POST
@login_required
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification_mark_read(notification=notification_get_for_user(user=request.user, pk=pk))
    return _back(request)


@require_POST
@login_required
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notification_mark_all_read(user=request.user)
    messages.success(request, ngettext(
        "%(count)s notification marked read.", "%(count)s notifications marked read.", count,
    ) % {"count": count})
    return _back(request)


@login_required
def email_preferences(request: HttpRequest) -> HttpResponse:
    chosen = email_preferences_for_user(user=request.user)
    initial = {"email_kinds": [kind for kind, email in chosen.items() if email]}
    # Bound on every POST: nothing ticked (no field sent at all) means e-mail off for every kind.
    form = EmailPreferencesForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        email_preferences_set(user=request.user, email_kinds=form.cleaned_data["email_kinds"])
        messages.success(request, _("Your e-mail preferences are saved."))
        return redirect("notices:preferences")
    return render(request, "notices/preferences.html", {"form": form})

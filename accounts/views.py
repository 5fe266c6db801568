"""Log-in and the language switcher: both keep the user's language (User.language) in step."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.views.i18n import set_language

from accounts.services import user_language_at_login, user_language_set


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    # The cookie Django's set_language view sets, with the same settings.
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language,
        max_age=settings.LANGUAGE_COOKIE_AGE, path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN, secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY, samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def language_set(request: HttpRequest) -> HttpResponse:
    """Django's set_language, and for a logged-in user the choice is remembered."""
    response = set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        user_language_set(user=request.user, language=request.POST.get("language", ""))
    return response


class LoginView(auth_views.LoginView):
    """Logging in keeps the browser's and the user's language in step (accounts.services)."""

    def form_valid(self, form):
        response = super().form_valid(form)
        switch_to = user_language_at_login(
            user=form.get_user(), chosen=self.request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        )
        if switch_to:
            _set_language_cookie(response, switch_to)
        return response

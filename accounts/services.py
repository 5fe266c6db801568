"""Writes about users and their credentials."""

from __future__ import annotations

from django.conf import settings
from rest_framework.authtoken.models import Token

from accounts.models import User


def auth_token_get_or_create(*, user: User) -> Token:
    """The user's API token (one per user; created on first request, kept until revoked in the admin)."""
    token, _created = Token.objects.get_or_create(user=user)
    return token


def user_language_set(*, user: User, language: str) -> None:
    """Remember the user's language (e-mails, and pages on the next login); unknown codes are ignored."""
    if language not in dict(settings.LANGUAGES) or user.language == language:
        return
    user.language = language
    user.save(update_fields=["language"])


def user_language_at_login(*, user: User, chosen: str) -> str:
    """The latest explicit choice wins: a language picked in this browser before logging in
    (`chosen`) is remembered for the user; without one, the user's remembered language applies.
    Returns the language the browser should be switched to ("" for none)."""
    if chosen in dict(settings.LANGUAGES):
        user_language_set(user=user, language=chosen)
        return ""
    return user.language

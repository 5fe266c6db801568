"""Writes about users and their credentials."""

from __future__ import annotations

from rest_framework.authtoken.models import Token

from accounts.models import User


def auth_token_get_or_create(*, user: User) -> Token:
    """The user's API token (one per user; created on first request, kept until revoked in the admin)."""
    token, _created = Token.objects.get_or_create(user=user)
    return token

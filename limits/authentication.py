"""Token authentication for the activation check: DRF's, with the lookup as one raw query
that also says whether the user is a market platform client, and its result kept for a few
seconds per process.

Market platforms call the check per bid (SPEC §7); looking the token up cost about as much as
the check's own queries. The price of the cache: a deleted token, or a user or platform client
switched off, still passes for at most TOKEN_CACHE_SECONDS in a worker process that has just
seen it. Unknown and inactive tokens are never cached, so a new token works at once.
"""

from __future__ import annotations

import time

from django.utils.translation import gettext_lazy as _
from drf_spectacular.drainage import set_override
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import User

TOKEN_CACHE_SECONDS = 5
_tokens: dict[str, tuple[float, User, Token]] = {}


def token_user(*, key: str) -> User | None:
    """The user of this API token (with `_gridprequal_platform` set), None if there is none.

    The user may be inactive: callers refuse it. Active users are cached for a few seconds.
    """
    found = _token_and_user(key)
    return found[0] if found is not None else None


def _token_and_user(key: str) -> tuple[User, Token] | None:
    """(the user, the token as DRF gives it to the view) of this key; the pair cached with the
    user (a Token instance built per request cost as much as the lookup it spares)."""
    now = time.monotonic()
    hit = _tokens.get(key)
    if hit is not None and now - hit[0] < TOKEN_CACHE_SECONDS:
        return hit[1], hit[2]
    user = next(
        iter(
            User.objects.raw(
                "SELECT u.*, EXISTS(SELECT 1 FROM limits_marketplatformclient m "
                "WHERE m.user_id = u.id AND m.is_active) AS is_platform "
                "FROM accounts_user u JOIN authtoken_token t ON t.user_id = u.id WHERE t.key = %s",
                [key],
            )
        ),
        None,
    )
    if user is None:
        _tokens.pop(key, None)
        return None
    user._gridprequal_platform = bool(user.is_platform)  # read by limits.activation.access
    token = Token(key=key, user=user)
    if user.is_active:
        if len(_tokens) > 10_000:
            _tokens.clear()
        _tokens[key] = (now, user, token)
    else:
        _tokens.pop(key, None)
    return user, token


def token_cache_clear() -> None:
    _tokens.clear()


def token_key_from_header(request) -> str | None:
    """The key of a well-formed `Authorization: Token <key>` header, else None."""
    parts = get_authorization_header(request).split()
    if len(parts) != 2 or parts[0].lower() != b"token":
        return None
    try:
        return parts[1].decode()
    except UnicodeError:
        return None


class FastTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        found = _token_and_user(key)
        if found is None:
            raise AuthenticationFailed(_("Invalid token."))
        if not found[0].is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        return found


# The same "tokenAuth" scheme as DRF's TokenAuthentication in the OpenAPI schema.
set_override(FastTokenAuthentication, "suppress_collision_warning", True)

"""Token authentication for the activation check: DRF's, with the lookup as one raw query
that also says whether the user is a market platform client.

Market platforms call the check per bid (SPEC §7); building the ORM query for the token cost
about as much as running it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.drainage import set_override
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import User


class FastTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
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
            raise AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        user._gridprequal_platform = bool(user.is_platform)  # read by limits.selectors
        return user, Token(key=key, user=user)


# The same "tokenAuth" scheme as DRF's TokenAuthentication in the OpenAPI schema.
set_override(FastTokenAuthentication, "suppress_collision_warning", True)

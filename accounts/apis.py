"""API credentials: an FSP's trading system exchanges a username and password for a token."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts.services import auth_token_get_or_create
from common.api import StrictInputSerializer
from common.http import client_address


class AuthTokenThrottle(AnonRateThrottle):
    """Slows password guessing: a few attempts a minute per client address."""

    scope = "auth_token"
    rate = "10/minute"

    def get_ident(self, request: Request) -> str:
        # Not DRF's reading of X-Forwarded-For, which trusts the client's own header by default.
        return client_address(request)


class AuthTokenObtainApi(APIView):
    # Anyone may try: the credentials in the body are the authentication.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthTokenThrottle]

    class InputSerializer(StrictInputSerializer):
        username = serializers.CharField()
        password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

        class Meta:
            ref_name = "AuthTokenObtainInput"

    @extend_schema(
        operation_id="auth_token_obtain",
        summary="Obtain an API token",
        description="Send it as `Authorization: Token <token>` on every other request. "
        "The same token is returned until an administrator revokes it.",
        request=InputSerializer,
        responses=inline_serializer("AuthToken", {"token": serializers.CharField()}),
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request=request._request, **serializer.validated_data)
        if user is None:
            raise serializers.ValidationError(
                {"non_field_errors": [_("Unable to log in with the username and password given.")]}
            )
        return Response({"token": auth_token_get_or_create(user=user).key})

"""The OpenAPI schema: drf-spectacular plus the JSON error answers every endpoint can give.

A module of its own: common.api is loaded by DRF's settings while rest_framework.generics is
still importing, and drf-spectacular's AutoSchema imports rest_framework.generics.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorOutputSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Bad input only: the messages for each input field (`__all__` for the whole input).",
    )

    class Meta:
        ref_name = "Error"


_ERROR_DESCRIPTIONS = {
    "400": "Bad input: nothing was changed; `errors` has a message per field.",
    "401": "Not authenticated: send `Authorization: Token <token>` (see /api/auth/token/).",
    "403": "You may read this but not change it.",
    "404": "No such object, or not one you may see.",
    "409": "A rule refused the action (for example the object is deactivated, or changed meanwhile).",
    "429": "Too many attempts: wait a minute.",
}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema plus the JSON error answers an endpoint can give (see exception_handler)."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        writes = self.method in ("POST", "PUT", "PATCH", "DELETE")
        auth = self.get_auth()
        needs_auth = bool(auth) and {} not in auth
        has_filters = self.method == "GET" and bool(getattr(self.view, "filterset_class", None))
        codes = []
        if writes or has_filters:
            codes.append("400")
        if needs_auth:
            codes.append("401")
        if needs_auth and writes:
            codes.append("403")
        if "{" in self.path:
            codes.append("404")
        if writes and "{" in self.path:
            codes.append("409")
        if getattr(self.view, "throttle_classes", None):
            codes.append("429")
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorOutputSerializer, description=_ERROR_DESCRIPTIONS[code]), code
                )
        return responses

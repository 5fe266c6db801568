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
        # A list of messages per field; for a list or nested input, an object keyed by the
        # item's index or sub-field with the messages for that item.
        child=serializers.JSONField(),
        required=False,
        help_text="Bad input only: the messages for each input field (`__all__` for the whole input); "
        "for list input, keyed by item index.",
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
        # Query parameters are input too (the activation check's, a list's page number).
        has_query = self.method == "GET" and any(p.get("in") == "query" for p in self._get_parameters())
        paginated = self.method == "GET" and self._is_list_view() and self._get_paginator() is not None
        codes = []
        if writes or has_filters or has_query:
            codes.append("400")
        if needs_auth:
            codes.append("401")
        if needs_auth and writes:
            codes.append("403")
        # 404 also for a page past the last one, and for a write naming an object (an SPU, an
        # operator) in its body that does not exist or that the caller may not see.
        if "{" in self.path or paginated or (writes and needs_auth):
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

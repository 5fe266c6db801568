"""API plumbing: pagination and JSON errors with a message per field."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from common.exceptions import ApplicationError


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def exception_handler(exc, context):
    """Every error is JSON: {"detail": "...", "errors": {"field": ["message"]}} where fields apply."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, ApplicationError):
        return Response(
            {"detail": exc.message, **({"errors": exc.extra} if exc.extra else {})},
            status=status.HTTP_409_CONFLICT,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        data = response.data
        if isinstance(data, dict):
            non_field = data.get("non_field_errors") or data.get("__all__")
            detail = " ".join(str(m) for m in non_field) if non_field else "Invalid input."
            response.data = {"detail": detail, "errors": data}
        else:
            response.data = {"detail": " ".join(str(m) for m in data), "errors": {}}
    return response

"""API plumbing: pagination and JSON errors with a message per field."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager
from datetime import UTC

import django_filters
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from common.exceptions import ApplicationError
from common.times import InstantError, instant_in_range, local_instant


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
    elif isinstance(exc, OverflowError):
        # SQLite cannot compare with an integer beyond 64 bits (e.g. ?spu=1e100): bad input.
        exc = exceptions.ValidationError({"__all__": [_("A number in the request is out of range.")]})
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


class InstantField(serializers.DateTimeField):
    """A date and time that names one instant in 2000–2099: a naive one is read in the current
    time zone and refused in the summer-time gap or fold (common/times.py), never shifted."""

    def enforce_timezone(self, value):
        try:
            if timezone.is_naive(value):
                value = local_instant(value, self.default_timezone() or timezone.get_current_timezone())
            else:
                instant_in_range(value)
        except InstantError as exc:
            raise serializers.ValidationError(str(exc)) from None
        return super().enforce_timezone(value)


class _InstantFormField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            if timezone.is_naive(value):
                value = local_instant(value, timezone.get_current_timezone())
            return instant_in_range(value).astimezone(UTC)
        except InstantError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


class InstantFilter(django_filters.IsoDateTimeFilter):
    """A query parameter naming one instant, as InstantField reads a body's: in 2000–2099 (a
    clear 400 otherwise) and handed to the database in UTC, so an ISO 8601 offset PostgreSQL does
    not take (beyond ±15:59, e.g. "+23:50") never reaches it."""

    field_class = _InstantFormField


class StrictInputSerializer(serializers.Serializer):
    # An input serializer that refuses fields it does not know: a typo must not pass silently.
    # `unchangeable_fields` names fields a client might reasonably send (they appear in the
    # output) that this input does not take; they get a clearer message than "Unknown field.".
    # (No docstring: drf-spectacular would copy it into every subclass's schema component.)

    unchangeable_fields: tuple[str, ...] = ()

    def to_internal_value(self, data):
        errors: dict = {}
        value = None
        try:
            value = super().to_internal_value(data)
        except exceptions.ValidationError as exc:
            if not isinstance(exc.detail, dict):
                raise
            errors.update(exc.detail)
        if isinstance(data, Mapping):
            writable = {name for name, f in self.fields.items() if not f.read_only}
            for name in sorted(set(data) - writable):
                errors[name] = [
                    _("This field cannot be changed.")
                    if name in self.unchangeable_fields
                    else _("Unknown field.")
                ]
        if errors:
            raise exceptions.ValidationError(errors)
        return value


@contextmanager
def errors_renamed(fields: dict[str, str]):
    """Report a service's ValidationError under the API's field names (e.g. a model's
    `connecting_so` is the API's `connecting_so_eic`).

    A multi-field uniqueness error (`(fsp, code)` taken) lands on its last field, the one the
    client chose, instead of the whole input.
    """
    try:
        yield
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        renamed: dict[str, list] = {}
        for name, errors in exc.error_dict.items():
            for error in errors:
                field = name
                if name == NON_FIELD_ERRORS and error.code == "unique_together":
                    field = (error.params or {}).get("unique_check", [name])[-1]
                renamed.setdefault(fields.get(field, field), []).append(error)
        raise DjangoValidationError(renamed) from exc


def validated_input(serializer_class: type[serializers.Serializer], request) -> dict:
    """The request body checked by `serializer_class`: its validated data, or a 400 with a
    message per field."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)

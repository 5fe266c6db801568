"""The activation check's input, field by field (ActivationCheckApi.parse): the same fields and
messages as its InputSerializer, parsed by hand (a serializer per bid cost more than the rules)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.timezone import get_current_timezone, is_aware
from django.utils.translation import gettext as _

from common.times import InstantError, instant_in_range, local_instant
from prequal.models import Direction


class FieldError(ValueError):
    """One field's message, raised by a field parser below."""


def _text(value) -> str:
    return str(value).strip()


# An id is a positive 64-bit integer (BigAutoField): beyond that no database can look it up.
ID_MIN, ID_MAX = 1, 2**63 - 1


def _integer(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise FieldError(_("A valid integer is required.")) from None
    # DRF's IntegerField messages, so both entries answer alike.
    if number < ID_MIN:
        message = _("Ensure this value is greater than or equal to {min_value}.")
        raise FieldError(message.format(min_value=ID_MIN))
    if number > ID_MAX:
        message = _("Ensure this value is less than or equal to {max_value}.")
        raise FieldError(message.format(max_value=ID_MAX))
    return number


# Django's enum `values` builds a new list at every read: read once (a check per bid, SPEC §7).
DIRECTIONS = tuple(Direction.values)


def _direction(value) -> str:
    if value not in DIRECTIONS:
        raise FieldError(_('"%(value)s" is not a valid choice.') % {"value": value})
    return value


def _quantity(value) -> Decimal:
    try:
        number = Decimal(str(value).strip())
        if not number.is_finite() or number.as_tuple().exponent < -3 or abs(number) >= 10**7:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise FieldError(_("A number in MW with at most 3 decimals is required.")) from None
    return number


def _moment(value) -> datetime:
    try:
        parsed = parse_datetime(str(value).strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise FieldError(_("Give an ISO 8601 date and time, e.g. 2026-03-29T08:00:00Z."))
    try:
        if is_aware(parsed):
            return instant_in_range(parsed)
        return local_instant(parsed, get_current_timezone())
    except InstantError as exc:
        raise FieldError(str(exc)) from None


# (field, parser, required): who asks and for what, then what is asked; in the order of the errors.
PARSE_RESOURCE = (
    ("system_operator", _text, True),
    ("product", _text, True),
    ("spu", _integer, False),
    ("spg", _integer, False),
)
PARSE_REQUEST = (
    ("direction", _direction, True),
    ("quantity_mw", _quantity, True),
    ("start", _moment, True),
    ("end", _moment, True),
)


def _parse_fields(data: Mapping, parsers, *, values: dict, errors: dict) -> None:
    """Parse these fields of `data` into `values`; a missing or bad one puts its message in `errors`."""
    for name, parse, required in parsers:
        value = data.get(name)
        if value in (None, ""):
            if required:
                errors[name] = [_("This field is required.")]
            continue
        try:
            values[name] = parse(value)
        except FieldError as exc:
            errors[name] = [str(exc)]


def _boolean(value) -> bool:
    if value in (True, "true", "True", "1", 1):
        return True
    if value in (False, "false", "False", "0", 0):
        return False
    raise FieldError(_("Give true or false."))


def _external_id(value) -> str:
    text = _text(value)
    if len(text) > 100:
        raise FieldError(_("At most 100 characters."))
    return text


# A reservation (limits.activation.reserve): the award the check registers, under the caller's own id.
PARSE_RESERVE = (
    ("reserve", _boolean, False),
    ("external_id", _external_id, False),
)
FIELDS = ("system_operator", "spu", "spg", "product", "direction", "quantity_mw", "start", "end",
          "reserve", "external_id")


def check_input_parse(data) -> dict:
    """The input, checked like ActivationCheckApi.InputSerializer would (same fields and
    messages); ValidationError with a message per field."""
    if not isinstance(data, Mapping):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    errors: dict[str, list[str]] = {name: [_("Unknown field.")] for name in data if name not in FIELDS}
    values: dict = {}
    _parse_fields(data, PARSE_RESOURCE, values=values, errors=errors)
    if not errors.get("spu") and not errors.get("spg") and ("spu" in values) == ("spg" in values):
        errors["spu"] = [_("Give either spu or spg (one of them).")]
    _parse_fields(data, PARSE_REQUEST, values=values, errors=errors)
    _parse_fields(data, PARSE_RESERVE, values=values, errors=errors)
    if values.get("reserve") and "external_id" not in values and "external_id" not in errors:
        errors["external_id"] = [_("Give your own id of the award to register when you reserve.")]
    elif "external_id" in values and not values.get("reserve"):
        errors["external_id"] = [_("Only with \"reserve\": true.")]
    if errors:
        raise ValidationError(errors)
    return values

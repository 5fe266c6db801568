"""One record of a batch, read and checked on its own (no database): field by field, with a
message per field. Read by register.services.ingest, which checks the rest against the data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from prequal.models import Direction
from register.models import RecordKind

MAX_BATCH = 10_000
ID_MAX = 2**63 - 1
MAX_MW = Decimal("9999999.999")
FIELDS = (
    "external_id", "kind", "spu", "spg", "spu_code", "spg_code", "fsp_eic", "product", "direction",
    "quantity_mw", "start", "end", "revise",
)


@dataclass
class RecordInput:
    """A record as sent, checked field by field. `resource`: ("spu" | "spg", id or (fsp EIC, code))."""

    index: int
    external_id: str
    kind: str
    resource: tuple[str, int | tuple[str, str]]
    product: str
    direction: str
    quantity_mw: Decimal
    start: datetime
    end: datetime
    revise: bool = False

    def content(self, *, resource_id: int, product_id: int) -> tuple:
        """What makes two sendings of one record the same (compared by the ingest)."""
        return (self.kind, self.resource[0], resource_id, product_id, self.direction,
                self.quantity_mw, self.start, self.end)


def mw_text(value: Decimal) -> str:
    """MW as people write them: 0.5, 12, 1.25 (no trailing zeros, no exponent)."""
    return format(value.normalize(), "f")


def direction_text(direction: str) -> str:
    """"up" or "down" in the user's language, for messages."""
    return str(Direction(direction).label).lower()


def max_period() -> timedelta:
    """The longest period one record may cover (setting GRIDPREQUAL_REGISTER_MAX_PERIOD_DAYS):
    it bounds the months a query for some market time units must read."""
    return timedelta(days=settings.GRIDPREQUAL_REGISTER_MAX_PERIOD_DAYS)


def record_parse(
    index: int, data, *, longest: timedelta | None = None
) -> tuple[RecordInput | None, dict[str, list[str]]]:
    """The record (None if any field is wrong) and the messages per field. `longest`: max_period()
    read once by a caller of many records."""
    if not isinstance(data, Mapping):
        return None, {"non_field_errors": [_("Send each record as a JSON object.")]}
    errors: dict[str, list[str]] = {name: [_("Unknown field.")] for name in data if name not in FIELDS}
    values = {}
    for name, parse in _PARSERS.items():
        try:
            values[name] = parse(data.get(name))
        except ValueError as exc:
            errors.setdefault(name, []).append(str(exc))
    resource = _resource(data, errors)
    if "start" in values and "end" in values:
        _period_check(values, errors, longest or max_period())
    if values.get("kind") == RecordKind.ACTIVATION and values.get("direction") == Direction.BOTH:
        errors.setdefault("direction", []).append(_("An activation is either up or down."))
    if errors:
        return None, errors
    return RecordInput(index=index, resource=resource, **values), {}


def _external_id(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(_("Give the platform's own id of the record."))
    if len(value) > 100:
        raise ValueError(_("At most 100 characters."))
    return value.strip()


def _choice(choices, message):
    allowed = frozenset(choices.values)  # not `choices.values` per record: it builds a list each time

    def parse(value) -> str:
        if value not in allowed:
            raise ValueError(message)
        return value

    return parse


def _product(value) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(_("Give the product code, e.g. mfrr-energy."))
    return value


def _quantity(value) -> Decimal:
    try:
        quantity = Decimal(str(value)) if isinstance(value, int | float | str) and value != "" else None
    except InvalidOperation:
        quantity = None
    if quantity is None or not quantity.is_finite():
        raise ValueError(_("Give the quantity in MW as a number, e.g. 2.5."))
    if quantity <= 0 or quantity > MAX_MW:
        raise ValueError(_("The quantity must be more than 0 MW and at most %(max)s MW.") % {"max": MAX_MW})
    if quantity.as_tuple().exponent < -3:
        raise ValueError(_("At most 3 decimals (kW precision)."))
    return quantity


def _instant(value) -> datetime:
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well formed, but no such day or time (2030-02-30)
        moment = None
    if moment is None:
        raise ValueError(
            _("Give a date and time in ISO 8601 with its UTC offset, e.g. 2030-01-15T10:00:00Z.")
        )
    if moment.utcoffset() is None:
        raise ValueError(_("Give the UTC offset (e.g. Z or +01:00): market time units are instants."))
    if not 2000 <= moment.year <= 2099:
        raise ValueError(_("Give a date between 2000 and 2099."))
    return moment.astimezone(UTC)


def _revise(value) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ValueError(_("Give true or false."))
    return value


_PARSERS = {
    "external_id": _external_id,
    "kind": _choice(RecordKind, _("Give award or activation.")),
    "product": _product,
    "direction": _choice(Direction, _("Give up, down or both (both only for an award).")),
    "quantity_mw": _quantity,
    "start": _instant,
    "end": _instant,
    "revise": _revise,
}


def _resource(data: Mapping, errors: dict) -> tuple | None:
    """Exactly one of spu, spg (ids), spu_code, spg_code (with fsp_eic)."""
    given = [name for name in ("spu", "spg", "spu_code", "spg_code") if data.get(name) not in (None, "")]
    if len(given) != 1:
        errors.setdefault("spu", []).append(
            _("Give exactly one resource: spu or spg (an id), or spu_code or spg_code with fsp_eic.")
        )
        return None
    name = given[0]
    value = data[name]
    if name in ("spu", "spg"):
        if data.get("fsp_eic") not in (None, ""):
            errors.setdefault("fsp_eic", []).append(_("Give fsp_eic only with spu_code or spg_code."))
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ID_MAX:
            errors.setdefault(name, []).append(_("Give the id as a positive whole number."))
            return None
        return name, value
    eic = data.get("fsp_eic")
    if not isinstance(eic, str) or not eic or not isinstance(value, str):
        errors.setdefault("fsp_eic", []).append(_("Give the FSP's EIC code with the resource's code."))
        return None
    return name[:3], (eic, value)


def _period_check(values: dict, errors: dict, longest: timedelta) -> None:
    if values["end"] <= values["start"]:
        errors.setdefault("end", []).append(_("The end must come after the start."))
    elif values["end"] - values["start"] > longest:
        errors.setdefault("end", []).append(
            _("A record covers at most %(days)s days; send a longer award as several records.")
            % {"days": longest.days}
        )

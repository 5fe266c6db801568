"""Identifier checks used by models, so admin, forms, API and imports all enforce them (SPEC §6)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EIC_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-"
_EIC_RE = re.compile(r"^[0-9A-Z-]{16}$")


def eic_check_char(first15: str) -> str:
    """The EIC check character for the first 15 characters (ENTSO-E EIC reference manual)."""
    total = sum(EIC_ALPHABET.index(ch) * weight for ch, weight in zip(first15, range(16, 1, -1), strict=True))
    return EIC_ALPHABET[36 - ((total - 1) % 37)]


def is_valid_eic(code: str) -> bool:
    if not isinstance(code, str) or not _EIC_RE.match(code):
        return False
    check = eic_check_char(code[:15])
    # Position 36 maps to "-" which is never a valid check character.
    return check != "-" and code[15] == check


def validate_eic(value: str) -> None:
    if not isinstance(value, str) or not _EIC_RE.match(value):
        raise ValidationError(
            _("%(value)s is not an EIC code: expected 16 characters of 0-9, A-Z and '-'."),
            code="eic_format",
            params={"value": value},
        )
    expected = eic_check_char(value[:15])
    if expected == "-" or value[15] != expected:
        raise ValidationError(
            _("%(value)s has a wrong EIC check character: expected %(expected)s."),
            code="eic_check",
            params={"value": value, "expected": expected if expected != "-" else "(none valid)"},
        )


def gs1_check_digit(payload: str) -> str:
    """GS1 mod-10 check digit: weights 3,1,3,... from the right of the payload."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(payload)))
    return str((10 - total % 10) % 10)


def _validate_gs1(value: str, *, length: int, label: str) -> None:
    if not isinstance(value, str) or not (len(value) == length and value.isascii() and value.isdigit()):
        raise ValidationError(
            _("%(value)s is not a %(label)s: expected exactly %(length)s digits."),
            code=f"{label.lower()}_format",
            params={"value": value, "label": label, "length": length},
        )
    expected = gs1_check_digit(value[:-1])
    if value[-1] != expected:
        raise ValidationError(
            _("%(value)s has a wrong %(label)s check digit: expected %(expected)s."),
            code=f"{label.lower()}_check",
            params={"value": value, "label": label, "expected": expected},
        )


def validate_gsrn(value: str) -> None:
    """GSRN: 18 digits, GS1 mod-10 check digit (metering/accounting point id)."""
    _validate_gs1(value, length=18, label="GSRN")


def validate_gln(value: str) -> None:
    """GLN: 13 digits, GS1 mod-10 check digit."""
    _validate_gs1(value, length=13, label="GLN")


def is_valid_gsrn(value: str) -> bool:
    try:
        validate_gsrn(value)
    except ValidationError:
        return False
    return True


_BIDDING_ZONE_RE = re.compile(r"^[A-Z]{2}([0-9]{1,2}|-[A-Z0-9]{1,8}|[A-Z0-9]{0,4})$")


def validate_bidding_zone(value: str) -> None:
    """Bidding zones are data (SE1..SE4, NO1, DK2, DE-LU ...): check only the shape."""
    if not isinstance(value, str) or not _BIDDING_ZONE_RE.match(value):
        raise ValidationError(
            _("%(value)s is not a bidding zone: expected a country code and zone, e.g. SE3."),
            code="bidding_zone",
            params={"value": value},
        )

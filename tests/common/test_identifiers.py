"""Identifier checks (SPEC §6): EIC check characters and GS1 (GSRN, GLN) check digits.

The properties proved by the tests below, for the record:

EIC (alphabet of 37 symbols, values 0–36; weights 16…2 over the first 15 characters;
check value r = 36 − ((Σ − 1) mod 37)):
  * body + eic_check_char(body) is valid exactly when the check value is not 36 ("-").
  * Every single-character substitution of a valid code is detected: at a body position a
    change of value by d (0 < |d| ≤ 36) changes Σ by d·w with 2 ≤ w ≤ 16; 37 is prime, so
    d·w ≢ 0 (mod 37) and the expected check character changes (or becomes "-", never valid);
    at the check position the character no longer equals the one expected.
  * Every transposition of two adjacent, different characters inside the body is detected:
    Σ changes by (a − b)·(w_i − w_{i+1}) = ±(a − b) ≢ 0 (mod 37).

GS1 mod 10 (GSRN 18 digits, GLN 13; weights 3,1,3,… from the right of the payload, so over
the whole code the check digit has weight 1 and the weights alternate 1,3,1,3,… from the right):
  * payload + gs1_check_digit(payload) is always valid.
  * Every single-digit substitution is detected: d·1 and d·3 are ≢ 0 (mod 10) for 0 < |d| ≤ 9
    because gcd(3, 10) = 1.
  * Adjacent weights always differ (3 and 1), and swapping adjacent digits a ≠ b changes the
    weighted sum by ±2(a − b), which is ≡ 0 (mod 10) exactly when |a − b| = 5. So a transposition
    of adjacent different digits goes undetected if and only if |a − b| = 5 (e.g. 05 ↔ 50: the
    known GS1 weakness), including a swap of the check digit with the digit before it.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given
from hypothesis import strategies as st

from accounts.models import Organisation
from common.validators import (
    EIC_ALPHABET,
    eic_check_char,
    gs1_check_digit,
    is_valid_eic,
    is_valid_gsrn,
    validate_eic,
    validate_gln,
    validate_gsrn,
)
from observability.models import ConnectionPoint

REAL_EICS = ["10YSE-1--------K", "10Y1001A1001A44P", "10X1001A1001A38Y"]
REAL_GSRN = "012345678901234560"

eic_bodies = st.text(alphabet=EIC_ALPHABET, min_size=15, max_size=15)
digits = "0123456789"


def valid_eics():
    return eic_bodies.map(lambda body: body + eic_check_char(body)).filter(is_valid_eic)


def gs1_codes(length: int):
    return st.text(alphabet=digits, min_size=length - 1, max_size=length - 1).map(
        lambda payload: payload + gs1_check_digit(payload)
    )


def gs1_valid(code: str) -> bool:
    return code[-1] == gs1_check_digit(code[:-1])


# --- EIC ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", REAL_EICS)
def test_the_real_eic_codes_are_valid(code):
    validate_eic(code)
    assert is_valid_eic(code)
    assert eic_check_char(code[:15]) == code[15]


@given(eic_bodies)
@example("10YSE-1--------")
def test_a_body_with_its_check_character_is_valid_unless_the_check_is_a_dash(body):
    check = eic_check_char(body)
    assert check in EIC_ALPHABET
    code = body + check
    assert is_valid_eic(code) == (check != "-")
    if check == "-":
        with pytest.raises(ValidationError, match="none valid"):
            validate_eic(code)
    else:
        validate_eic(code)


def test_some_bodies_have_no_valid_check_character():
    # The dash case is real, not theoretical: find one and see it refused.
    body = next(
        f"10XTEST{n:08d}" for n in range(1000) if eic_check_char(f"10XTEST{n:08d}") == "-"
    )
    assert not is_valid_eic(body + "-")


@given(valid_eics(), st.integers(0, 15), st.sampled_from(EIC_ALPHABET + "abz_ é*"))
def test_changing_any_one_character_of_a_valid_eic_makes_it_invalid(code, position, char):
    if code[position] == char:
        return
    changed = code[:position] + char + code[position + 1:]
    assert not is_valid_eic(changed)
    with pytest.raises(ValidationError):
        validate_eic(changed)


@pytest.mark.parametrize("code", REAL_EICS)
def test_every_single_substitution_of_the_real_codes_is_detected(code):
    # Exhaustive for the SPEC's codes: 16 positions × 36 other characters.
    for position in range(16):
        for char in EIC_ALPHABET:
            if char != code[position]:
                assert not is_valid_eic(code[:position] + char + code[position + 1:])


@given(valid_eics(), st.integers(0, 13))
def test_swapping_adjacent_different_body_characters_is_detected(code, position):
    a, b = code[position], code[position + 1]
    if a == b:
        return
    swapped = code[:position] + b + a + code[position + 2:]
    assert not is_valid_eic(swapped)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("10YSE-1--------X", "10YSE-1--------X has a wrong EIC check character: expected K."),
        ("10yse-1--------K", "is not an EIC code: expected 16 characters of 0-9, A-Z and '-'."),
        ("10YSE-1-------K", "is not an EIC code"),
        ("", "is not an EIC code"),
    ],
)
def test_eic_messages_say_what_is_wrong(value, message):
    with pytest.raises(ValidationError) as info:
        validate_eic(value)
    assert message in info.value.messages[0]


# --- GSRN and GLN ---------------------------------------------------------------------------


def test_the_real_gsrn_is_valid():
    validate_gsrn(REAL_GSRN)
    assert is_valid_gsrn(REAL_GSRN)


@given(st.text(alphabet=digits, min_size=17, max_size=17))
def test_a_gsrn_payload_with_its_check_digit_is_valid(payload):
    validate_gsrn(payload + gs1_check_digit(payload))


@given(st.text(alphabet=digits, min_size=12, max_size=12))
def test_a_gln_payload_with_its_check_digit_is_valid(payload):
    validate_gln(payload + gs1_check_digit(payload))


@pytest.mark.parametrize(("length", "validate"), [(18, validate_gsrn), (13, validate_gln)])
@given(data=st.data())
def test_every_single_digit_change_is_detected(length, validate, data):
    code = data.draw(gs1_codes(length))
    position = data.draw(st.integers(0, length - 1))
    digit = data.draw(st.sampled_from(digits).filter(lambda d: d != code[position]))
    changed = code[:position] + digit + code[position + 1:]
    with pytest.raises(ValidationError, match="check digit: expected"):
        validate(changed)


@pytest.mark.parametrize(("length", "validate"), [(18, validate_gsrn), (13, validate_gln)])
@given(data=st.data())
def test_an_adjacent_transposition_is_missed_exactly_when_the_digits_differ_by_five(
    length, validate, data
):
    code = data.draw(gs1_codes(length))
    position = data.draw(st.integers(0, length - 2))
    a, b = code[position], code[position + 1]
    if a == b:
        return
    swapped = code[:position] + b + a + code[position + 2:]
    assert gs1_valid(swapped) == (abs(int(a) - int(b)) == 5)
    if abs(int(a) - int(b)) == 5:
        validate(swapped)
    else:
        with pytest.raises(ValidationError):
            validate(swapped)


@pytest.mark.parametrize("position", range(17))
@pytest.mark.parametrize(("a", "b"), [("0", "5"), ("1", "6"), ("9", "4"), ("3", "7"), ("2", "1")])
def test_every_adjacent_pair_of_the_real_gsrn_follows_the_rule(position, a, b):
    # Deterministic companion of the property above: every position, including the check digit.
    payload = REAL_GSRN[:position] + a + b + REAL_GSRN[position + 2:-1]
    code = payload + gs1_check_digit(payload) if position < 16 else None
    if code is None:  # the pair is (last payload digit, check digit): choose the payload digit
        payload = REAL_GSRN[:16] + a
        code = payload + gs1_check_digit(payload)
        a, b = code[16], code[17]
    else:
        a, b = code[position], code[position + 1]
    if a == b:
        return
    swapped = code[:position] + b + a + code[position + 2:]
    assert is_valid_gsrn(code)
    assert is_valid_gsrn(swapped) == (abs(int(a) - int(b)) == 5)


def _with_pair(code: str, a: str, b: str) -> str:
    """A valid code starting with the digits a, b (payload adjusted, check recomputed)."""
    payload = a + b + code[2:-1]
    return payload + gs1_check_digit(payload)


def test_the_gs1_weakness_is_real():
    # 05 ↔ 50 at the front of a valid GSRN gives another valid GSRN.
    code = _with_pair(REAL_GSRN, "0", "5")
    swapped = "50" + code[2:]
    assert is_valid_gsrn(code) and is_valid_gsrn(swapped) and code != swapped


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("012345678901234561", "012345678901234561 has a wrong GSRN check digit: expected 0."),
        ("01234567890123456", "is not a GSRN: expected exactly 18 digits."),
        ("01234567890123456X", "is not a GSRN: expected exactly 18 digits."),
        ("０12345678901234560", "is not a GSRN"),  # a full-width zero is a digit, but not ASCII
    ],
)
def test_gsrn_messages_say_what_is_wrong(value, message):
    with pytest.raises(ValidationError) as info:
        validate_gsrn(value)
    assert message in info.value.messages[0]


# --- enforced by the models -----------------------------------------------------------------


@pytest.mark.parametrize("bad", ["10YSE-1--------X", "10YSE-1--------", "NOT-AN-EIC-CODE!"])
def test_an_organisation_with_a_bad_eic_is_refused(db, bad):
    organisation = Organisation(name="Bad code AB", kind=Organisation.Kind.FSP, eic_code=bad)
    with pytest.raises(ValidationError) as info:
        organisation.full_clean()
    assert "eic_code" in info.value.message_dict


def test_an_organisation_with_a_real_eic_is_accepted(db):
    Organisation(name="Good code AB", kind=Organisation.Kind.FSP, eic_code=REAL_EICS[2]).full_clean()


@pytest.mark.parametrize("bad", ["012345678901234561", "12345", "01234567890123456a"])
def test_a_connection_point_with_a_bad_gsrn_is_refused(cast, bad):
    point = ConnectionPoint(
        gsrn=bad, connecting_so=cast.local, latitude=59.3, longitude=18.0,
        voltage_level=ConnectionPoint.VoltageLevel.LV, bidding_zone="SE3",
    )
    with pytest.raises(ValidationError) as info:
        point.full_clean()
    assert list(info.value.message_dict) == ["gsrn"]


def test_a_connection_point_with_the_real_gsrn_is_accepted(cast):
    ConnectionPoint(
        gsrn=REAL_GSRN, connecting_so=cast.local, latitude=59.3, longitude=18.0,
        voltage_level=ConnectionPoint.VoltageLevel.LV, bidding_zone="SE3",
    ).full_clean()

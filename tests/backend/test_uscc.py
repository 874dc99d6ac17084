from __future__ import annotations

import random

import pytest

from app.seed import DEMO_ENTERPRISES
from app.uscc import (
    USCC_CHARSET,
    UsccInvalid,
    UsccProblem,
    compute_check_char,
    compute_org_code_check_char,
    is_individual_business,
    is_valid_uscc,
    normalize_uscc,
    validate_uscc,
)

# Published codes of well-known companies.
REAL_CODES = ["914403001922038216", "91440300708461136T", "91330100799655058B"]


@pytest.mark.parametrize("code", REAL_CODES + [d.uscc for d in DEMO_ENTERPRISES])
def test_valid_codes(code: str) -> None:
    assert validate_uscc(code) == code
    # The organisation-code segment (GB 11714) carries its own check character.
    assert compute_org_code_check_char(code[8:16]) == code[16]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("９１３２９９０１ＭＡ１ＧＹ００１７Ｘ", "91329901MA1GY0017X"),  # full-width
        ("91329901ma1gy0017x", "91329901MA1GY0017X"),  # lower case
        (" 9132 9901 MA1G Y001 7X ", "91329901MA1GY0017X"),  # spaces
        ("9132-9901-MA1GY-0017X", "91329901MA1GY0017X"),  # ASCII dashes
        ("9132－9901—MA1GY–0017X", "91329901MA1GY0017X"),  # full-width, em and en dashes
        ("9132\u30009901\tMA1GY0017X", "91329901MA1GY0017X"),  # ideographic space, tab
        ("９２３２９９０２ｍａ１ｌｊ－００２８ｔ", "92329902MA1LJ0028T"),  # individual business
    ],
)
def test_normalisation(raw: str, expected: str) -> None:
    assert normalize_uscc(raw) == expected
    assert validate_uscc(raw) == expected


def test_individual_business_prefix() -> None:
    individual = next(d for d in DEMO_ENTERPRISES if d.uscc.startswith("92"))
    assert is_individual_business(individual.uscc)
    assert is_individual_business(individual.uscc.lower())
    assert is_valid_uscc(individual.uscc)
    assert not is_individual_business(REAL_CODES[0])


def test_wrong_check_digit() -> None:
    code = DEMO_ENTERPRISES[0].uscc
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(UsccInvalid) as caught:
        validate_uscc(wrong)
    assert caught.value.problem is UsccProblem.CHECK_DIGIT
    assert "校验" in caught.value.message


def test_wrong_check_digit_individual_business() -> None:
    code = DEMO_ENTERPRISES[1].uscc
    assert code.startswith("92")
    with pytest.raises(UsccInvalid) as caught:
        validate_uscc(code[:17] + "1")
    assert caught.value.problem is UsccProblem.CHECK_DIGIT


def test_single_typo_is_caught() -> None:
    code = DEMO_ENTERPRISES[2].uscc
    for position in range(17):
        for replacement in USCC_CHARSET:
            if replacement != code[position]:
                typo = code[:position] + replacement + code[position + 1 :]
                assert not is_valid_uscc(typo), typo


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", UsccProblem.EMPTY),
        ("  - ", UsccProblem.EMPTY),
        ("91329901MA1GY0017", UsccProblem.LENGTH),
        ("91329901MA1GY0017XX", UsccProblem.LENGTH),
        ("91329901MA1GYOO17X", UsccProblem.CHARACTERS),  # letter O for zero
        ("9132990IMA1GY0017X", UsccProblem.CHARACTERS),  # letter I
        ("91329901MA1GY0017X。", UsccProblem.CHARACTERS),
    ],
)
def test_malformed(raw: str, problem: UsccProblem) -> None:
    with pytest.raises(UsccInvalid) as caught:
        validate_uscc(raw)
    assert caught.value.problem is problem
    assert caught.value.message  # always a Chinese sentence for the user
    assert "统一社会信用代码" in caught.value.message


def test_check_char_round_trip() -> None:
    rng = random.Random(52)
    for _ in range(500):
        first17 = "9" + rng.choice("12") + "".join(rng.choices(USCC_CHARSET, k=15))
        check = compute_check_char(first17)
        assert is_valid_uscc(first17 + check)
        assert sum(is_valid_uscc(first17 + c) for c in USCC_CHARSET) == 1


def test_check_value_31_maps_to_zero() -> None:
    # When the weighted sum is divisible by 31 the check character is "0", not out of range.
    assert compute_check_char("0" * 17) == "0"


@pytest.mark.parametrize(
    ("raw", "expected", "individual"),
    [
        ("９１３２９９０１ＭＡ１ＧＹ００１７Ｘ", "91329901MA1GY0017X", False),
        ("9232-9902 ma1lj0028t", "92329902MA1LJ0028T", True),
    ],
)
def test_check_route_normalises_and_names_individual_businesses(
    client, raw: str, expected: str, individual: bool
) -> None:
    response = client.post("/api/v1/registrations/uscc-checks", json={"uscc": raw})

    assert response.status_code == 200
    assert response.json() == {"uscc": expected, "is_individual_business": individual}


@pytest.mark.parametrize(
    ("raw", "says"),
    [("91329901MA1GY0017Y", "校验码"), ("9132", "18位"), ("91329901MA1GY0O17X", "“O”")],
)
def test_check_route_explains_what_is_wrong(client, raw: str, says: str) -> None:
    response = client.post("/api/v1/registrations/uscc-checks", json={"uscc": raw})

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "uscc_invalid"
    assert says in body["message"]

"""Personal data is masked on display: ID numbers, phones, natural persons' names."""

from __future__ import annotations

import pytest

from app.masking import mask_id_number, mask_person_name, mask_phone, mask_text


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("110101199003071234", "110101********1234"),
        ("11010119900307123X", "110101********123X"),
        ("110101900307123", "110101*****7123"),
    ],
)
def test_id_numbers(raw: str, masked: str):
    assert mask_id_number(raw) == masked


def test_uscc_is_not_taken_for_an_id_number():
    assert mask_id_number("91329901MA1GY0017X") == "91329901MA1GY0017X"


@pytest.mark.parametrize(("raw", "masked"), [("13812345678", "138****5678")])
def test_phones(raw: str, masked: str):
    assert mask_phone(raw) == masked


def test_longer_digit_runs_are_not_phones():
    assert mask_phone("913812345678901") == "913812345678901"


@pytest.mark.parametrize(
    ("raw", "masked"), [("张明华", "张*华"), ("李四", "李*"), ("欧阳娜娜", "欧**娜"), ("王", "王")]
)
def test_person_names(raw: str, masked: str):
    assert mask_person_name(raw) == masked


def test_free_text():
    text = "当事人张明华（身份证110101199003071234，电话13812345678）于2025年缴纳罚款"
    assert mask_text(text, ("张明华",)) == (
        "当事人张*华（身份证110101********1234，电话138****5678）于2025年缴纳罚款"
    )

"""What every form shares (actions/forms.py)."""

from __future__ import annotations

import pytest

from actions.forms import mobile_in


@pytest.mark.parametrize(
    ("typed", "phone"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("我的手机是13812345678，白天都在", "13812345678"),
    ],
)
def test_a_mobile_number_as_people_type_it(typed: str, phone: str) -> None:
    assert mobile_in(typed) == phone


@pytest.mark.parametrize(
    "typed", ["1381234567", "138123456789", "12812345678", "没有手机", "", None, "0519-8888888"]
)
def test_what_is_not_a_mobile_number(typed) -> None:
    assert mobile_in(typed) is None

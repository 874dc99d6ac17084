"""统一社会信用代码 (USCC) per GB 32100-2015.

Layout of the 18 characters: 1 登记管理部门代码, 2 机构类别代码, 3–8 登记管理机关行政区划码,
9–17 主体标识码 (an organisation code per GB 11714), 18 校验码. The character set is the digits and
the upper-case letters without I, O, Z, S, V (easily confused with 1, 0, 2, 5, U).

Users type codes from a licence photo on a phone keyboard, so input is normalised before checking:
full-width characters (NFKC), lower case, spaces and dashes.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(USCC_CHARSET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# GB 11714 organisation code: 8 body characters plus a mod-11 check character.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Dash-like characters that survive NFKC (NFKC already folds the full-width hyphen-minus).
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−]+")

INDIVIDUAL_BUSINESS_PREFIX = "92"


class UsccProblem(StrEnum):
    EMPTY = "empty"
    LENGTH = "length"
    CHARACTERS = "characters"
    CHECK_DIGIT = "check_digit"


_MESSAGES = {
    UsccProblem.EMPTY: "请提供统一社会信用代码（营业执照上的18位代码）。",
    UsccProblem.LENGTH: (
        "统一社会信用代码应为18位，您输入的是{length}位，请核对营业执照后重新输入。"
    ),
    UsccProblem.CHARACTERS: (
        "统一社会信用代码只包含数字和大写字母（不含I、O、Z、S、V），"
        "您输入的代码里有“{chars}”，请核对后重新输入。"
    ),
    UsccProblem.CHECK_DIGIT: (
        "统一社会信用代码校验未通过（最后一位校验码不对），可能有字符输错了，请对照营业执照重新输入。"
    ),
}


class UsccInvalid(ValueError):
    """Raised with a user-facing Chinese message; `problem` tells callers what went wrong."""

    def __init__(self, problem: UsccProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


def normalize_uscc(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw)
    return _SEPARATORS.sub("", text).upper()


def compute_check_char(first17: str) -> str:
    """The 18th character for a 17-character prefix (already normalised)."""
    if len(first17) != 17 or any(ch not in _VALUE for ch in first17):
        raise ValueError("需要17位有效字符")
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, _WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def compute_org_code_check_char(body8: str) -> str:
    """GB 11714 check character for the 8-character organisation code body (digits/letters)."""
    total = sum(int(ch, 36) * w for ch, w in zip(body8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_uscc(raw: str) -> str:
    """Return the normalised code, or raise UsccInvalid with a message fit to show the user."""
    code = normalize_uscc(raw)
    if not code:
        raise UsccInvalid(UsccProblem.EMPTY, _MESSAGES[UsccProblem.EMPTY])
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        raise UsccInvalid(
            UsccProblem.CHARACTERS, _MESSAGES[UsccProblem.CHARACTERS].format(chars="、".join(bad))
        )
    if len(code) != 18:
        raise UsccInvalid(
            UsccProblem.LENGTH, _MESSAGES[UsccProblem.LENGTH].format(length=len(code))
        )
    if compute_check_char(code[:17]) != code[17]:
        raise UsccInvalid(UsccProblem.CHECK_DIGIT, _MESSAGES[UsccProblem.CHECK_DIGIT])
    return code


def is_valid_uscc(raw: str) -> bool:
    try:
        validate_uscc(raw)
    except UsccInvalid:
        return False
    return True


def is_individual_business(uscc: str) -> bool:
    """登记管理部门 9 (市场监管) + 机构类别 2 = 个体工商户."""
    return normalize_uscc(uscc).startswith(INDIVIDUAL_BUSINESS_PREFIX)

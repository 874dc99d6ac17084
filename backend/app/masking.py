"""Masking personal data for display: ID numbers, phone numbers and natural persons' names.

PRODUCT.md: personal data is masked on every display and never written to logs or the
conversation store in clear. Every response that can carry such data passes it through here.
"""

from __future__ import annotations

import re

# 18-digit resident ID (last character may be X) and the old 15-digit form.
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(?:\d{8}|\d{5})(\d{3}[\dXx])(?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_id_number(value: str) -> str:
    """110101199003071234 → 110101********1234"""
    return ID_NUMBER.sub(lambda m: m.group(1) + "*" * (len(m.group(0)) - 10) + m.group(2), value)


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678"""
    return MOBILE.sub(r"\1****\2", value)


def mask_person_name(name: str) -> str:
    """张明华 → 张*华, 李四 → 李*, 欧阳娜娜 → 欧**娜.

    The family name and, for longer names, the last character stay: the owner recognises the name
    and nobody else learns it."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_text(text: str, person_names: tuple[str, ...] = ()) -> str:
    """Masks ID numbers and phones anywhere in free text, and the given natural persons' names."""
    masked = mask_phone(mask_id_number(text))
    for name in sorted({n for n in person_names if n}, key=len, reverse=True):
        masked = masked.replace(name, mask_person_name(name))
    return masked

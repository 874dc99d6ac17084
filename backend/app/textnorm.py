"""Lenient comparison of names typed on a phone against registry data."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Minority names are written with assorted middle dots (买买提·艾力); treat them as one.
_MIDDLE_DOTS = re.compile(r"[·•‧∙⋅・．.]")


def normalize_org_name(name: str) -> str:
    """NFKC folds full-width brackets and letters, so 某某（有限合伙） equals 某某(有限合伙)."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", name)).upper()


def normalize_person_name(name: str) -> str:
    text = _SPACES.sub("", unicodedata.normalize("NFKC", name))
    return _MIDDLE_DOTS.sub("·", text).upper()

"""Normalisers for blind indexes. Two spellings of one value must normalise to the same text.

Pinyin tokens are personal data too (they nearly spell the name): they are never stored in clear, only as HMAC-SM3
blind indexes in the person's row, protected by the same access rules and re-derived when keys rotate.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin


def normalize_id_number(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def normalize_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def normalize_name(value: str) -> str:
    return re.sub(r"[\s·•.]+", "", value or "").lower()


@lru_cache(maxsize=65536)  # names repeat; pypinyin is the slowest step of a bulk import
def _syllables(value: str) -> tuple[str, ...]:
    """The name's syllables in pypinyin's NORMAL style (characters without a reading kept one by one): one
    conversion serves both tokens below (pypinyin's FIRST_LETTER style is the first letter of the NORMAL one)."""
    return tuple(lazy_pinyin(normalize_name(value), style=Style.NORMAL, errors=lambda s: list(s)))


def pinyin_initials(value: str) -> str:
    """张三丰 → zsf (first letter of each syllable; Latin letters kept)."""
    return "".join(p[0] for p in _syllables(value) if p).lower()


def pinyin_full(value: str) -> str:
    """张三丰 → zhangsanfeng."""
    return "".join(_syllables(value)).lower()


def search_token(value: str) -> str:
    """Normalise what a user typed into a search box for comparison with pinyin tokens."""
    return re.sub(r"[^a-z]", "", (value or "").lower())

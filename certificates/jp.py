"""Japanese personal-data formats: kana, postal codes, phone numbers and 和暦 dates."""

import re
import unicodedata
from datetime import date

_HIRAGANA_START, _HIRAGANA_END = 0x3041, 0x3096
_KATAKANA_RE = re.compile(r"^[\u30a0-\u30ff\u3000 ー・]+$")


def to_katakana(value: str) -> str:
    """Full-width katakana from hiragana, half-width katakana or katakana; spaces collapsed to one."""
    value = unicodedata.normalize("NFKC", value or "").strip()
    chars = []
    for ch in value:
        code = ord(ch)
        if _HIRAGANA_START <= code <= _HIRAGANA_END:
            chars.append(chr(code + 0x60))
        else:
            chars.append(ch)
    return re.sub(r"\s+", " ", "".join(chars))


def is_katakana(value: str) -> bool:
    return bool(value) and bool(_KATAKANA_RE.match(value))


def normalize_digits(value: str) -> str:
    """NFKC (full-width digits become ASCII) and every dash-like character becomes '-'."""
    value = unicodedata.normalize("NFKC", value or "").strip()
    return re.sub(r"[\u2010-\u2015\u2212\u30fc\uff70‐ｰ−]", "-", value)


def normalize_postal_code(value: str) -> str:
    """'1234567', '１２３－４５６７' or '〒123-4567' become '123-4567'; anything else raises ValueError."""
    digits = re.sub(r"\D", "", normalize_digits(value).replace("〒", ""))
    if len(digits) != 7:
        raise ValueError("postal code must have 7 digits")
    return f"{digits[:3]}-{digits[3:]}"


def normalize_phone(value: str) -> str:
    """The phone number as typed, with digits and hyphens normalised."""
    return re.sub(r"\s+", "", normalize_digits(value))


def phone_digits(value: str) -> str:
    """Digits only: the form used to compare and search phone numbers."""
    return re.sub(r"\D", "", normalize_digits(value))


_ERAS = [
    (date(2019, 5, 1), "令和"),
    (date(1989, 1, 8), "平成"),
    (date(1926, 12, 25), "昭和"),
    (date(1912, 7, 30), "大正"),
    (date(1868, 1, 25), "明治"),
]


def wareki(day: date, *, western: bool = True) -> str:
    """令和7年(2025年)1月15日, with 元年 for the first year of an era."""
    for start, name in _ERAS:
        if day >= start:
            year = day.year - start.year + 1
            year_text = "元" if year == 1 else str(year)
            west = f"({day.year}年)" if western else ""
            return f"{name}{year_text}年{west}{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"

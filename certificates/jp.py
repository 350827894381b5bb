"""Japanese personal-data formats: kana, postal codes, phone numbers and 和暦 dates."""

import re
import unicodedata
from datetime import date

_HIRAGANA_START, _HIRAGANA_END = 0x3041, 0x3096
_KATAKANA_RE = re.compile(r"^[\u30a0-\u30ff\u3000 ー・]+$")


_SPACES_RE = re.compile(r"\s+")
_DASHES_RE = re.compile(r"[\u2010-\u2015\u2212\u30fc\uff70‐ｰ−]")
_NON_DIGITS_RE = re.compile(r"\D")
# Hiragana to katakana in one pass: the same letter 0x60 code points further on.
_TO_KATAKANA = {code: code + 0x60 for code in range(_HIRAGANA_START, _HIRAGANA_END + 1)}


def to_katakana(value: str) -> str:
    """Full-width katakana from hiragana, half-width katakana or katakana; spaces collapsed to one."""
    value = unicodedata.normalize("NFKC", value or "").strip()
    return _SPACES_RE.sub(" ", value.translate(_TO_KATAKANA))


def is_katakana(value: str) -> bool:
    return bool(value) and bool(_KATAKANA_RE.match(value))


_LATIN_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z .'\-]*$")


def latin_reading(value: str) -> str:
    """A name's reading in Latin letters, as foreign residents write it: NFKC (full-width letters become ASCII),
    spaces collapsed, upper case (SMITH); empty when the value is not Latin letters."""
    value = _SPACES_RE.sub(" ", unicodedata.normalize("NFKC", value or "").strip())
    return value.upper() if _LATIN_NAME_RE.match(value) else ""


def normalize_digits(value: str) -> str:
    """NFKC (full-width digits become ASCII) and every dash-like character becomes '-'."""
    value = unicodedata.normalize("NFKC", value or "").strip()
    return _DASHES_RE.sub("-", value)


def normalize_postal_code(value: str) -> str:
    """'1234567', '１２３－４５６７' or '〒123-4567' become '123-4567'; anything else raises ValueError."""
    digits = _NON_DIGITS_RE.sub("", normalize_digits(value).replace("〒", ""))
    if len(digits) != 7:
        raise ValueError("postal code must have 7 digits")
    return f"{digits[:3]}-{digits[3:]}"


def normalize_phone(value: str) -> str:
    """The phone number as typed, with digits and hyphens normalised."""
    return _SPACES_RE.sub("", normalize_digits(value))


def phone_digits(value: str) -> str:
    """Digits only: the form used to compare and search phone numbers."""
    return _NON_DIGITS_RE.sub("", normalize_digits(value))


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


_ERA_LETTERS = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}
_ERA_START = {name: start for start, name in _ERAS}
# The day after an era's last day: the start of the next one.
_ERA_END = {name: _ERAS[i - 1][0] if i else None for i, (_start, name) in enumerate(_ERAS)}
_WAREKI_RE = re.compile(
    r"^(明治|大正|昭和|平成|令和|[MTSHR])\.?\s*(元|\d{1,2})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?$"
)
_WESTERN_IN_BRACKETS_RE = re.compile(r"\(\d{4}年?\)")
_EIGHT_DIGITS_RE = re.compile(r"\d{8}")
_WESTERN_RE = re.compile(r"^(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?$")


def parse_date(value: str) -> date:
    """A date as offices write it: 2026/1/7, 2026-01-07, 2026年1月7日, 20260107, 令和8年1月7日, 令和元年5月1日,
    R8.1.7, H31.4.30, S50.3.1 (full- or half-width digits). Raises ValueError with a message in Japanese."""
    text = unicodedata.normalize("NFKC", value or "").strip().upper()
    text = _SPACES_RE.sub("", text)
    # 令和8年(2026年)1月7日: the Western year in brackets is redundant.
    text = _WESTERN_IN_BRACKETS_RE.sub("", text)
    if not text:
        raise ValueError("日付が空欄です。")
    if _EIGHT_DIGITS_RE.fullmatch(text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    western = _WESTERN_RE.match(text)
    wareki_match = _WAREKI_RE.match(text)
    if western:
        return _make_date(value, int(western[1]), int(western[2]), int(western[3]))
    if wareki_match:
        era = _ERA_LETTERS.get(wareki_match[1], wareki_match[1])
        year_in_era = 1 if wareki_match[2] == "元" else int(wareki_match[2])
        day = _make_date(value, _ERA_START[era].year + year_in_era - 1, int(wareki_match[3]), int(wareki_match[4]))
        end = _ERA_END[era]
        if year_in_era < 1 or day < _ERA_START[era] or (end is not None and day >= end):
            raise ValueError(f"{value.strip()} は{era}の期間にない日付です。")
        return day
    raise ValueError(f"{value.strip()} を日付として読めません（例：2026/1/7、令和8年1月7日、R8.1.7）。")


def _make_date(value: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"{value.strip()} は存在しない日付です。") from exc


ERA_NAMES = ("令和", "平成", "昭和", "大正", "明治")


def era_date(era: str, year_in_era: int, month: int, day: int) -> date:
    """The date of 昭和35年5月13日 given as ("昭和", 35, 5, 13); ValueError with a message in Japanese when the era
    is unknown, the date does not exist or falls outside the era."""
    if era not in _ERA_START:
        raise ValueError(f"{era} は元号として読めません。")
    text = f"{era}{year_in_era}年{month}月{day}日"
    try:
        result = date(_ERA_START[era].year + year_in_era - 1, month, day)
    except ValueError as exc:
        raise ValueError(f"{text} は存在しない日付です。") from exc
    end = _ERA_END[era]
    if year_in_era < 1 or result < _ERA_START[era] or (end is not None and result >= end):
        raise ValueError(f"{text} は{era}の期間にない日付です。")
    return result

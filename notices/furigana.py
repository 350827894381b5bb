"""Furigana (ルビ) on the kanji of a letter, for residents who asked for it on their record.

Readings come from pykakasi's dictionary, except where the office has set its own (`ReadingCorrection`, edited by
the supervisor) and for the resident's name, which is read as the register holds it. WeasyPrint has no ruby
layout, so each ruby is an inline block: the reading on a line of its own, half size, above its kanji
(`.rb` / `.rt` in letter_document.html).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from notices.models import ReadingCorrection

_ITERATION_MARKS = "々〆ヶ"


def is_kanji(ch: str) -> bool:
    return ch in _ITERATION_MARKS or unicodedata.name(ch, "").startswith("CJK UNIFIED IDEOGRAPH")


def has_kanji(text: str) -> bool:
    return any(is_kanji(ch) for ch in text)


def to_hiragana(text: str) -> str:
    """Katakana (full- or half-width) to hiragana; ー and everything else kept."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in text)


def is_reading(text: str) -> bool:
    return bool(text) and all("ぁ" <= ch <= "ゖ" or ch == "ー" for ch in text)


@lru_cache(maxsize=1)
def _kakasi() -> Any:
    import pykakasi

    return pykakasi.kakasi()


def _align(word: str, reading: str) -> list[tuple[str, str]]:
    """Split a word and its reading into (text, reading) pieces, reading "" over kana: 使う方/つかうかた gives
    [(使, つか), (う, ""), (方, かた)]. When the kana of the word cannot be found in the reading, the whole reading
    goes over the whole word."""
    runs = [m.group(0) for m in re.finditer(r"[^ぁ-ゖァ-ヺー]+|[ぁ-ゖァ-ヺー]+", word)]
    pattern = "".join(
        "(.+?)" if has_kanji(run) or not is_reading(to_hiragana(run)) else f"({re.escape(to_hiragana(run))})"
        for run in runs
    )
    match = re.fullmatch(pattern, reading)
    if match is None:
        return [(word, reading)]
    return [(run, "" if not has_kanji(run) else part) for run, part in zip(runs, match.groups(), strict=True)]


def _pieces(text: str, fixed: Mapping[str, str]) -> Iterable[tuple[str, str]]:
    """(text, reading) pieces of `text`: the fixed words where they occur (longest first), the dictionary elsewhere."""
    if not text:
        return
    words = sorted((w for w in fixed if w), key=len, reverse=True)
    if words:
        found = re.search("|".join(re.escape(w) for w in words), text)
        if found is not None:
            yield from _pieces(text[: found.start()], fixed)
            yield from _align(found.group(0), to_hiragana(fixed[found.group(0)]))
            yield from _pieces(text[found.end() :], fixed)
            return
    for item in _kakasi().convert(text):
        original, reading = item["orig"], item["hira"]
        if has_kanji(original) and reading and reading != original:
            yield from _align(original, reading)
        else:
            yield original, ""


def corrections() -> dict[str, str]:
    return dict(ReadingCorrection.objects.values_list("word", "reading"))


def ruby(text: str, *, fixed: Mapping[str, str]) -> SafeString:
    """`text` as HTML, every kanji piece with its reading above it; line breaks kept."""
    lines = []
    for line in text.split("\n"):
        html = []
        for piece, reading in _pieces(line, fixed):
            if reading and has_kanji(piece):
                html.append(f'<span class="rb"><span class="rt">{escape(reading)}</span>{escape(piece)}</span>')
            else:
                html.append(escape(piece))
        lines.append("".join(html))
    return mark_safe("<br>".join(lines))  # every piece escaped above

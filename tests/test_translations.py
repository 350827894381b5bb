"""Every word a resident reads has its English, and the compiled catalogue is the one the .po says."""

from __future__ import annotations

import gettext
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "locale" / "en" / "LC_MESSAGES"
# What a resident sees: the public pages, the e-mails, the shared form parts and the error pages, and the Python
# that makes their words.
RESIDENT_TEMPLATES = [
    "templates/base.html",
    "templates/404.html",
    "templates/includes",
    "templates/reservations/public",
    "templates/reservations/email",
    "templates/notices/public",
    "templates/notices/email",
]
RESIDENT_PYTHON = [
    "reservations/public_views.py",
    "reservations/forms.py",
    "reservations/booking.py",
    "reservations/guidance.py",
    "reservations/invitations.py",
    "staff/form_messages.py",
    "staff/templatetags/madoguchi.py",
]


def _files(paths: list[str], suffixes: tuple[str, ...]) -> list[Path]:
    found: list[Path] = []
    for name in paths:
        path = ROOT / name
        found += sorted(p for p in path.rglob("*") if p.suffix in suffixes) if path.is_dir() else [path]
    return found


def _msgids() -> set[str]:
    ids: set[str] = set()
    for path in _files(RESIDENT_TEMPLATES, (".html", ".txt")):
        text = path.read_text(encoding="utf-8")
        ids |= set(re.findall(r'{% translate "(.*?)"', text))
        for block in re.findall(r"{% blocktranslate[^%]*%}(.*?){% endblocktranslate %}", text, re.S):
            ids.add(re.sub(r"{{ (\w+) }}", r"%(\1)s", block))
    for path in _files(RESIDENT_PYTHON, (".py",)):
        text = path.read_text(encoding="utf-8")
        ids |= set(re.findall(r'(?<![\w.])_\(\s*"([^"]+)"\s*\)', text))
        ids |= set(re.findall(r'gettext\(\s*"([^"]+)"\s*\)', text))
    return {i for i in ids if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", i)}


def test_every_word_a_resident_reads_has_its_english() -> None:
    with (LOCALE / "django.mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    missing = sorted(i for i in _msgids() if not catalog.get(i))
    assert missing == []


def test_the_compiled_catalogue_matches_the_po(tmp_path) -> None:
    msgfmt = subprocess.run(["which", "msgfmt"], capture_output=True, text=True).stdout.strip()
    if not msgfmt:
        pytest.skip("msgfmt (gettext) is not installed")
    subprocess.run([msgfmt, "--check", "-o", tmp_path / "django.mo", LOCALE / "django.po"], check=True)
    with (tmp_path / "django.mo").open("rb") as fresh, (LOCALE / "django.mo").open("rb") as shipped:
        fresh_catalog = gettext.GNUTranslations(fresh)._catalog  # type: ignore[attr-defined]
        shipped_catalog = gettext.GNUTranslations(shipped)._catalog  # type: ignore[attr-defined]
    assert fresh_catalog == shipped_catalog, "run msgfmt (or compilemessages) after editing the .po"

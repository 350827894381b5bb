"""System checks for what WeasyPrint needs to print Japanese letters well."""

from __future__ import annotations

import ctypes.util
import subprocess
from typing import Any

from django.core.checks import Error, Warning, register

JAPANESE_LETTER_FONTS = ("BIZ UDMincho", "BIZ UDPMincho", "BIZ UDGothic", "BIZ UDPGothic")


def harfbuzz_subset_available() -> bool:
    return ctypes.util.find_library("harfbuzz-subset") is not None


def installed_japanese_fonts() -> list[str]:
    try:
        out = subprocess.run(
            ["fc-list", ":lang=ja", "family"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    families = set()
    for line in out.splitlines():
        for name in line.split(","):
            families.add(name.strip())
    return sorted(f for f in families if f in JAPANESE_LETTER_FONTS)


@register()
def check_letter_rendering(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    messages: list[Any] = []
    if not harfbuzz_subset_available():
        messages.append(
            Warning(
                "libharfbuzz-subset0 is not installed: WeasyPrint embeds Japanese fonts about 20 times slower.",
                hint="apt-get install libharfbuzz-subset0",
                id="madoguchi.W001",
            )
        )
    if not installed_japanese_fonts():
        messages.append(
            Error(
                "No Japanese font for letters is installed (BIZ UD Mincho or BIZ UD Gothic).",
                hint="apt-get install fonts-morisawa-bizud-gothic fonts-morisawa-bizud-mincho",
                id="madoguchi.E001",
            )
        )
    return messages

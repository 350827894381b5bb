"""Wording an administrator or supervisor edits, with {placeholder} slots filled in by the product.

Only plain substitution: `{name}` where `name` is one of the slots the text offers. No format specifications
(`{name:>2000000}` would let one edit tie up a worker), no conversions (`{name!r}`), no attribute or index access
(`{name.__class__}`, `{name[0]}`), no nesting (`{name:{code}}`). `{{` and `}}` stand for literal braces.

`problems()` is what the models' clean() and the services call before saving; `fill()` never interprets anything
but a plain slot, so even a text saved before these rules existed renders inertly (anything else stays as written).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# A slot is an identifier between single braces; doubled braces are literal.
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def problems(text: str, allowed: Iterable[str]) -> list[str]:
    """What is wrong with the slots of `text`, as short Japanese phrases; empty when every slot is allowed."""
    allowed = set(allowed)
    found: list[str] = []
    for match in _TOKEN.finditer(text or ""):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        inner = match.group(1)
        if inner is None:
            found.append(f"対になっていない「{token}」")
        elif not _IDENTIFIER.fullmatch(inner):
            found.append(f"{token}（書式の指定などは使えません）" if inner else "{}（名前のない差し込み）")
        elif inner not in allowed:
            found.append(token)
    # A nested slot such as {name:{code}} shows up as an unpaired "{" followed by a slot: report it once.
    return list(dict.fromkeys(found))


def fill(text: str, values: Mapping[str, Any]) -> str:
    """`text` with each allowed plain slot replaced by its value; doubled braces become single ones."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        inner = match.group(1)
        if inner is not None and inner in values:
            return str(values[inner])
        return token

    return _TOKEN.sub(replace, text or "")

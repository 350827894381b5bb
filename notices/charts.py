"""Charts drawn on the server as SVG: no JavaScript, readable by screen readers, printable by WeasyPrint.

Each chart is an `<svg role="img">` with a title and a description that states every figure in words; values are
written beside the bars, so nothing depends on colour alone. The page shows the same figures in a table next to
each chart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

# Colours of the Digital Agency palette with at least 4.5:1 contrast on white, in the order series use them.
PALETTE = ["#0031d8", "#1d6b2f", "#8a5300", "#6f23d0", "#c2185b"]
TEXT = "#1a1a1c"
GRID = "#949497"
FONT = "'BIZ UDGothic', 'BIZ UDPGothic', sans-serif"


def count(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}件"


def minutes(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}分"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


@dataclass
class Series:
    label: str
    colour: str


def _open(ident: str, title: str, description: str, width: int, height: int) -> str:
    return format_html(
        '<svg class="chart-svg" role="img" aria-labelledby="{0}-title {0}-desc" viewBox="0 0 {1} {2}" '
        'width="{1}" height="{2}" xmlns="http://www.w3.org/2000/svg" font-family="{5}" font-size="13">'
        '<title id="{0}-title">{3}</title><desc id="{0}-desc">{4}</desc>',
        ident,
        width,
        height,
        title,
        description,
        FONT,
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 13, weight: str = "normal") -> str:
    return format_html(
        '<text x="{}" y="{}" text-anchor="{}" font-size="{}" font-weight="{}" fill="{}">{}</text>',
        round(x, 1),
        round(y, 1),
        anchor,
        size,
        weight,
        TEXT,
        text,
    )


def _legend(series: Sequence[Series], x: float, y: float) -> list[str]:
    parts: list[str] = []
    for s in series:
        parts.append(format_html('<rect x="{}" y="{}" width="14" height="14" fill="{}"/>', round(x, 1), y, s.colour))
        parts.append(_text(x + 20, y + 12, s.label))
        x += 28 + 14 * len(s.label)
    return parts


def bar_chart(
    *,
    ident: str,
    title: str,
    rows: Sequence[tuple[str, float | None]],
    fmt: Callable[[float | None], str] = count,
    scale_to: float | None = None,
    colour: str = PALETTE[0],
    label_width: int = 230,
    width: int = 640,
) -> SafeString:
    """Horizontal bars, one per row, the value written at the end of each bar.

    `scale_to` fixes the full width (e.g. the letters mailed), so a single booking never fills the chart.
    """
    bar, gap, top = 20, 10, 8
    peak = max([scale_to or 0] + [v or 0 for _l, v in rows] + [1])
    usable = width - label_width - 80
    height = top + len(rows) * (bar + gap) + 4
    description = "、".join(f"{label} {fmt(value)}" for label, value in rows)
    parts = [_open(ident, title, description, width, height)]
    y = top
    for label, value in rows:
        length = round(usable * (value or 0) / peak, 1)
        parts.append(_text(label_width - 8, y + 15, label, anchor="end"))
        parts.append(
            format_html('<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>', label_width, y, length, bar, colour)
        )
        parts.append(_text(label_width + length + 6, y + 15, fmt(value), weight="bold"))
        y += bar + gap
    parts.append(
        format_html(
            '<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="{3}" stroke-width="1"/>', label_width, top - 4, y, GRID
        )
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def grouped_bar_chart(
    *,
    ident: str,
    title: str,
    groups: Sequence[tuple[str, Sequence[float | None]]],
    series: Sequence[Series],
    fmt: Callable[[float | None], str] = minutes,
    label_width: int = 150,
    width: int = 640,
) -> SafeString:
    """One group of bars per label, one bar per series (e.g. median and 90th percentile)."""
    bar, gap, top = 18, 14, 30
    peak = max([v or 0 for _l, values in groups for v in values] + [1])
    usable = width - label_width - 80
    height = top + len(groups) * (len(series) * bar + gap) + 4
    description = "。".join(
        f"{label}：" + "、".join(f"{s.label} {fmt(v)}" for s, v in zip(series, values, strict=True))
        for label, values in groups
    )
    parts = [_open(ident, title, description, width, height), *_legend(series, label_width, 6)]
    y = top
    for label, values in groups:
        parts.append(_text(label_width - 8, y + bar * len(series) / 2 + 5, label, anchor="end"))
        for s, value in zip(series, values, strict=True):
            length = round(usable * (value or 0) / peak, 1)
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>', label_width, y, length, bar - 2, s.colour
                )
            )
            parts.append(_text(label_width + length + 6, y + 13, fmt(value), size=12))
            y += bar
        y += gap
    parts.append("</svg>")
    return mark_safe("".join(parts))


def share_chart(
    *,
    ident: str,
    title: str,
    rows: Sequence[tuple[str, int, int]],
    series: tuple[Series, Series],
    marker: str | None = None,
    marker_text: str = "",
    label_width: int = 100,
    width: int = 640,
) -> SafeString:
    """A 100 % bar per row split into two parts (e.g. booked and walk-in visits); empty rows say so.

    `marker` names the row from which something changed (the first letters), drawn as a line and a note.
    """
    bar, gap, top = 18, 6, 30
    usable = width - label_width - 20
    height = top + len(rows) * (bar + gap) + 4
    sentences = []
    for label, first, second in rows:
        total = first + second
        if total:
            sentences.append(
                f"{label} {series[0].label}{first}件・{series[1].label}{second}件（{series[0].label}"
                f"{percent(first / total)}）"
            )
        else:
            sentences.append(f"{label} 記録なし")
    if marker:
        sentences.append(f"{marker}から{marker_text}")
    parts = [_open(ident, title, "。".join(sentences), width, height), *_legend(series, label_width, 6)]
    y = top
    for label, first, second in rows:
        total = first + second
        parts.append(_text(label_width - 8, y + 14, label, anchor="end"))
        if total:
            first_len = round(usable * first / total, 1)
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                    label_width,
                    y,
                    first_len,
                    bar,
                    series[0].colour,
                )
            )
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                    label_width + first_len,
                    y,
                    round(usable - first_len, 1),
                    bar,
                    series[1].colour,
                )
            )
            share = percent(first / total)
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="12" font-weight="bold" fill="#ffffff" stroke="{}" '
                    'stroke-width="3" paint-order="stroke">{}</text>',
                    label_width + 4,
                    y + 14,
                    TEXT,
                    share,
                )
            )
        else:
            parts.append(_text(label_width + 4, y + 14, "記録なし", size=12))
        if marker and label == marker:
            parts.append(
                format_html(
                    '<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="{3}" stroke-width="2" stroke-dasharray="4 3"/>',
                    4,
                    y - gap / 2,
                    width - 4,
                    TEXT,
                )
            )
        y += bar + gap
    parts.append("</svg>")
    return mark_safe("".join(parts))

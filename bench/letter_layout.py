"""Where the printed letter puts things, measured in the real WeasyPrint output: the sample letter of the wording
page in its three forms (one sheet, large print, furigana), each element's top and bottom in mm from the top of
its sheet, and the smallest font size outside the address block.

    python bench/letter_layout.py

The creases of the Z fold are at 99 mm and 198 mm (notices.letters.FOLDS_MM); the envelope window is the wording's
address rectangle. tests/notices/test_letter_geometry.py asserts the same figures on the monthly batch.
"""

from __future__ import annotations

import io
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_on

MM = 72 / 25.4


def measure(large_print: bool, furigana: bool) -> None:
    import pdfplumber
    from django.template.loader import render_to_string

    from notices import letters, pdf

    template = letters.letter_template()
    context = letters.sample_context(
        template=template, today=date(2026, 11, 25), large_print=large_print, furigana=furigana
    )
    body = render_to_string("notices/letter_page.html", context)
    pages = pdfplumber.open(io.BytesIO(pdf.html_to_pdf(letters.document([body], template)))).pages
    left, top = float(template.address_left_mm) * MM, float(template.address_top_mm) * MM
    right, bottom = left + float(template.address_width_mm) * MM, top + float(template.address_height_mm) * MM
    label = "large print" if large_print else "one sheet"
    label += " + furigana" if furigana else ""
    print(f"{label}: {len(pages)} sheet(s)")
    for number, page in enumerate(pages, start=1):
        qr = page.lines
        if qr:
            half = qr[0]["linewidth"] / 2
            qr_top, qr_bottom = min(o["top"] for o in qr) - half, max(o["bottom"] for o in qr) + half
            print(f"  sheet {number} QR code    {qr_top / MM:6.1f} – {qr_bottom / MM:6.1f} mm")
        for name, text in (("booking code", "ACDE-FG34"), ("URL", letters.booking_url("ACDEFG34"))):
            found = page.search(text, regex=False)
            if found:
                print(f"  sheet {number} {name:12s} {found[0]['top'] / MM:6.1f} – {found[0]['bottom'] / MM:6.1f} mm")
        outside = [
            c
            for c in page.chars
            if not (left <= c["x0"] and c["x1"] <= right and top <= c["top"] and c["bottom"] <= bottom)
        ]
        readable = [c for c in outside if not furigana or c["size"] >= 11]
        print(
            f"  sheet {number} smallest text {min(c['size'] for c in readable):.1f} pt (readings aside), "
            f"lowest text {max(c['bottom'] for c in page.chars) / MM:.1f} mm"
        )
        expiry = page.search("有効期限：", regex=False)
        if expiry:
            frames = [r for r in page.rects if r["top"] <= expiry[0]["top"] and r["bottom"] >= expiry[0]["bottom"]]
            print(
                f"  sheet {number} expiry box   {min(r['top'] for r in frames) / MM:6.1f} – "
                f"{max(r['bottom'] for r in frames) / MM:6.1f} mm"
            )
        contact = page.search("問い合わせ先", regex=False)
        if contact:
            below = [c for c in page.chars if c["top"] >= contact[0]["top"] - 0.5]
            print(
                f"  sheet {number} contact      {contact[0]['top'] / MM:6.1f} – "
                f"{max(c['bottom'] for c in below) / MM:6.1f} mm, "
                + (
                    f"FAX and e-mail printed: {'FAX' in page.extract_text() and '@' in page.extract_text()}"
                    if context["office"].fax and context["office"].email
                    else "(the office has no FAX or e-mail set)"
                )
            )
        if not (large_print or furigana) and number == 1:
            fit = context["lower_fit"]
            print(f"  sheet {number} bottom panel at {fit.size_pt} pt, line height {fit.line_height}")
        in_window = [c for c in page.chars if c not in outside]
        if number == 1:  # the first sheet's top panel is the one behind the window
            print(
                f"  sheet {number} address block {min(c['top'] for c in in_window) / MM:.1f} – "
                f"{max(c['bottom'] for c in in_window) / MM:.1f} mm, window {top / MM:.1f} – {bottom / MM:.1f} mm"
            )


def main() -> None:
    django_on()
    for large_print, furigana in ((False, False), (True, False), (False, True), (True, True)):
        measure(large_print, furigana)


if __name__ == "__main__":
    main()

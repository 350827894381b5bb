"""The printed letter measured in the real WeasyPrint output (pdfplumber): what sits where, at which size.

A4 folded in three (Z fold) for a 長形3号 window envelope: creases at 99 mm and 198 mm from the top. The QR code,
the booking code and the URL stay at least CLEAR_MM away from both; the address block stays inside the window's
rectangle (LetterTemplate); body text is 12 pt or more, the URL, code and contact 11 pt or more; large print 16 pt
or more. Furigana are half-size readings set above their kanji."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pytest
from django.conf import settings

from notices import letters, services
from notices.models import Letter, LetterTemplate, NoticeBatch
from reservations.models import Office
from tests import factories

pytestmark = pytest.mark.django_db

MM = 72 / 25.4
FOLDS = [fold * MM for fold in letters.FOLDS_MM]
CLEAR_MM = 3
FEBRUARY = date(2027, 2, 1)
LONG_ADDRESS = "大阪府大阪市北区梅田1丁目2番3号"
BUILDING = "グランドメゾン梅田 1203号"


def batch_of(**resident_fields) -> NoticeBatch:
    fields = {"family_name": "山田", "given_name": "花子", "address": LONG_ADDRESS, "address_building": BUILDING}
    resident = factories.resident(**{**fields, **resident_fields})
    factories.certificate(resident, issued_on=date(2026, 8, 10))
    Office.objects.update(
        postal_code="552-0000",
        address="大阪府大阪市港区1-1",
        phone="06-0000-0000",
        fax="06-0000-0001",
        email="shomei@city.example.jp",
    )
    return services.notice_batch_prepare(month=FEBRUARY)


def letter_pages(batch: NoticeBatch) -> list:
    pdf = pdfplumber.open(Path(settings.MEDIA_ROOT) / batch.pdf_path)
    return pdf.pages[1:]  # the cover first


def bbox(found: list[dict]) -> tuple[float, float, float, float]:
    return (
        min(o["x0"] for o in found),
        min(o["top"] for o in found),
        max(o["x1"] for o in found),
        max(o["bottom"] for o in found),
    )


def search(page, text: str) -> tuple[float, float, float, float]:
    found = page.search(text, regex=False)
    assert found, f"{text!r} not on the page"
    return bbox(found)


def qr_box(page) -> tuple[float, float, float, float]:
    # segno draws the modules as strokes one module thick: the QR code is every stroked line on the page.
    strokes = page.lines
    assert len(strokes) > 100
    half = strokes[0]["linewidth"] / 2
    x0, top, x1, bottom = bbox(strokes)
    return x0, top - half, x1, bottom + half


def booking_frame(page) -> tuple[float, float, float, float]:
    """The booking box's border: the frame around the QR code."""
    x0, top, x1, bottom = qr_box(page)
    frames = [r for r in page.rects if r["x0"] < x0 and r["x1"] > x1 and r["top"] < top and r["bottom"] > bottom]
    assert frames
    return bbox(frames)


def clear_of_folds(box: tuple[float, float, float, float], clear_mm: float = CLEAR_MM) -> bool:
    _, top, _, bottom = box
    return all(bottom < fold - clear_mm * MM or top > fold + clear_mm * MM for fold in FOLDS)


def window(template: LetterTemplate) -> tuple[float, float, float, float]:
    left, top = float(template.address_left_mm) * MM, float(template.address_top_mm) * MM
    return left, top, left + float(template.address_width_mm) * MM, top + float(template.address_height_mm) * MM


def chars_in(page, box: tuple[float, float, float, float]) -> list[dict]:
    x0, top, x1, bottom = box
    return [
        c
        for c in page.chars
        if c["x0"] >= x0 - 0.5 and c["x1"] <= x1 + 0.5 and c["top"] >= top and c["bottom"] <= bottom
    ]


def outside(page, box) -> list[dict]:
    inside = {id(c) for c in chars_in(page, box)}
    return [c for c in page.chars if id(c) not in inside]


def test_the_qr_code_the_booking_code_and_the_url_keep_clear_of_both_folds(frozen) -> None:
    batch = batch_of()
    letter = Letter.objects.get()
    [page] = letter_pages(batch)
    for name, box in [
        ("QR", qr_box(page)),
        ("code", search(page, letter.invitation.display_code)),
        ("URL", search(page, letters.booking_url(letter.invitation.code))),
    ]:
        assert clear_of_folds(box), f"{name} at {box[1] / MM:.1f}–{box[3] / MM:.1f} mm crosses a fold"
    # The three sit in the bottom panel, together, in a box of their own that no other text runs into.
    assert qr_box(page)[1] > FOLDS[1]
    frame = booking_frame(page)
    assert clear_of_folds(frame, clear_mm=2)  # the box's own border
    assert search(page, "インターネットでの予約が難しい方")[1] > frame[3]
    assert max(c["bottom"] for c in page.chars) < 292 * MM


def test_the_address_block_with_its_building_line_sits_inside_the_window_and_nothing_else_does(frozen) -> None:
    batch = batch_of()
    template = letters.letter_template()
    [page] = letter_pages(batch)
    rect = window(template)
    for text in ("530-0001", LONG_ADDRESS, "グランドメゾン梅田", "1203号", "山田 花子 様"):
        x0, top, x1, bottom = search(page, text)
        assert rect[0] <= x0 and x1 <= rect[2] and rect[1] <= top and bottom <= rect[3], text
    # The building is a line of its own, under the address.
    assert search(page, "グランドメゾン梅田")[1] > search(page, LONG_ADDRESS)[3]
    # Nothing but the address block prints in the window.
    assert {c["text"] for c in chars_in(page, rect)} <= set("530-0001" + LONG_ADDRESS + BUILDING + "山田 花子 様")


def test_a_long_address_breaks_only_between_words(frozen) -> None:
    template = letters.letter_template()
    LetterTemplate.objects.filter(pk=template.pk).update(address_width_mm=Decimal(60), address_height_mm=Decimal(45))
    batch = batch_of(address="大阪府大阪市北区 梅田1丁目2番3号", address_building="グランドメゾン梅田 1203号")
    [page] = letter_pages(batch)
    # Each word whole on one line: "大阪府大阪市北区" and "梅田1丁目2番3号" are found as they are written.
    first, second = search(page, "大阪府大阪市北区"), search(page, "梅田1丁目2番3号")
    assert second[1] > first[3]  # the second word went to the next line, unbroken
    assert Letter.objects.get().pk not in letters.letters_not_fitting(batch, letters.letter_template())


def test_body_text_is_12_pt_and_the_url_code_and_contact_at_least_11(frozen) -> None:
    batch = batch_of()
    letter = Letter.objects.get()
    [page] = letter_pages(batch)
    template = letters.letter_template()

    def sizes(text: str) -> set[float]:
        x0, top, x1, bottom = search(page, text)
        return {round(c["size"], 1) for c in chars_in(page, (x0, top - 1, x1, bottom + 1)) if c["text"].strip()}

    assert min(sizes("必ず予約をしてください")) >= 12
    assert min(sizes("ご来庁日の前6か月以内に撮影した写真")) >= 12
    assert min(sizes("今お持ちの証明書（更新の場合）")) >= 12
    assert min(sizes(letter.invitation.display_code)) >= 11
    assert min(sizes(letters.booking_url(letter.invitation.code))) >= 11
    assert min(sizes("FAX 06-0000-0001")) >= 11 and min(sizes("shomei@city.example.jp")) >= 11
    # Every character of the letter is at least 11 pt, the address block (sized to the window) aside.
    assert min(round(c["size"], 1) for c in outside(page, window(template))) >= 11
    assert {c["fontname"].split("+")[-1].removesuffix("-Bold") for c in page.chars} <= {"BIZ-UDGothic", "BIZ-UDMincho"}


def test_large_print_is_16_pt_or_more_on_two_sheets_with_the_code_clear_of_the_folds(frozen) -> None:
    batch = batch_of(letter_large_print=True)
    letter = Letter.objects.get()
    first, second = letter_pages(batch)
    template = letters.letter_template()
    for page in (first, second):
        assert min(round(c["size"], 1) for c in outside(page, window(template))) >= 16
    assert "必ず予約をしてください" in first.extract_text()
    for box in (qr_box(second), search(second, letter.invitation.display_code)):
        assert clear_of_folds(box)
    assert clear_of_folds(booking_frame(second), clear_mm=2)
    assert search(second, "インターネットでの予約が難しい方")[1] > booking_frame(second)[3]
    url = letters.booking_url(letter.invitation.code)
    url_chars = [c for c in second.chars if c["size"] >= 16 and c["text"] in url and c["top"] > FOLDS[0]]
    assert clear_of_folds(bbox(url_chars))
    # Nothing runs off the bottom of either sheet.
    assert max(c["bottom"] for c in first.chars + second.chars) < 292 * MM


def text_without_readings(page, size: float) -> str:
    return "".join(c["text"] for c in page.chars if round(c["size"], 1) >= size)


def test_furigana_sit_above_their_kanji_and_names_read_as_the_register_holds(frozen) -> None:
    batch = batch_of(letter_furigana=True, family_name_kana="ヤマダ", given_name_kana="ハナコ")
    letter = Letter.objects.get()
    first, second = letter_pages(batch)
    rubies = [c for c in first.chars if round(c["size"], 1) == 6.0]  # half of the 12 pt text
    readings = "".join(c["text"] for c in rubies)
    in_window = chars_in(first, window(letters.letter_template()))
    name_readings = "".join(c["text"] for c in in_window if round(c["size"], 1) == 7.0)  # over the 14 pt name
    assert "らいちょう" in readings and "しょうめいしょ" in readings
    assert "らいちょうび" in readings  # 来庁日, corrected from the dictionary's らいちょうにち
    assert name_readings == "やまだはなこ"  # the name from the register's kana
    # A reading sits just above its word: 来庁 (12 pt) and its らいちょう (6 pt) share a column.
    base = next(c for c in first.chars if c["text"] == "庁" and c["size"] == 12)
    over = [c for c in rubies if c["text"] in "らいちょう" and abs(c["bottom"] - base["top"]) < 2 * MM]
    assert over and min(abs((c["x0"] + c["x1"]) / 2 - base["x1"]) for c in over) < 6 * MM
    # The text itself is unchanged under the readings, and the code and URL are still off the folds.
    assert "ご来庁日の前6か月以内に撮影した写真" in text_without_readings(first, 12)
    assert clear_of_folds(qr_box(second)) and clear_of_folds(search(second, letter.invitation.display_code))
    assert max(c["bottom"] for c in first.chars + second.chars) < 292 * MM


def test_large_print_with_furigana_still_fits_two_sheets(frozen) -> None:
    batch = batch_of(letter_large_print=True, letter_furigana=True)
    letter = Letter.objects.get()
    first, second = letter_pages(batch)
    assert {round(c["size"], 1) for c in first.chars if c["text"] == "ら"} >= {8.0}
    assert clear_of_folds(qr_box(second)) and clear_of_folds(search(second, letter.invitation.display_code))
    assert max(c["bottom"] for c in first.chars + second.chars) < 292 * MM


def test_the_calibration_sheet_draws_the_window_where_the_letters_print_the_address(supervisor_client) -> None:
    template = letters.letter_template()
    LetterTemplate.objects.filter(pk=template.pk).update(address_top_mm=Decimal(20), address_left_mm=Decimal(22))
    response = supervisor_client.get("/staff/notices/wording/calibration.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    import io

    page = pdfplumber.open(io.BytesIO(response.content)).pages[0]
    frame = max(page.rects, key=lambda r: r["width"] * r["height"] if r["width"] < 150 * MM else 0)
    # The outline is drawn just outside the rectangle (0.4 mm), so the printed line's inner edge is the window's.
    assert abs(frame["x0"] / MM - 22) < 0.5 and abs(frame["top"] / MM - 20) < 0.5
    assert abs(frame["width"] / MM - 90) < 1 and abs(frame["height"] / MM - 40) < 1
    x0, top, x1, bottom = search(page, "見本 太郎 様")
    assert frame["x0"] <= x0 and x1 <= frame["x1"] and frame["top"] <= top and bottom <= frame["bottom"]
    assert "99" in page.extract_text() and "198" in page.extract_text()

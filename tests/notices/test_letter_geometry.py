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


def inset_mm(box: tuple[float, float, float, float], rect: tuple[float, float, float, float]) -> float:
    """How far `box` lies inside `rect`, on its nearest side, in mm (negative when it crosses the edge)."""
    return min(box[0] - rect[0], box[1] - rect[1], rect[2] - box[2], rect[3] - box[3]) / MM


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
        assert inset_mm(search(page, text), rect) >= 2, text  # a visible margin inside the window on every side
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


def sentence_chars(page, sentence: str, size: float = 12) -> list[dict]:
    """The characters of `sentence` (at `size`, readings left out) where it is first printed on one line."""
    base = [c for c in page.chars if round(c["size"], 1) == size]
    text = "".join(c["text"] for c in base)
    start = text.find(sentence)
    assert start >= 0, f"{sentence!r} not printed at {size} pt"
    chars = base[start : start + len(sentence)]
    assert len({round(c["bottom"]) for c in chars}) == 1, f"{sentence!r} runs over two lines"
    return chars


def text_without_readings(page, size: float) -> str:
    return "".join(c["text"] for c in page.chars if round(c["size"], 1) >= size)


def test_furigana_sit_above_their_kanji_and_names_read_as_the_register_holds(frozen) -> None:
    batch = batch_of(letter_furigana=True, family_name_kana="ヤマダ", given_name_kana="ハナコ")
    letter = Letter.objects.get()
    first, second = letter_pages(batch)
    rubies = [c for c in outside(first, window(letters.letter_template())) if round(c["size"], 1) == 7.0]
    readings = "".join(c["text"] for c in rubies)
    assert min(round(c["size"], 1) for c in first.chars + second.chars) >= 7  # no reading smaller than 7 pt
    in_window = chars_in(first, window(letters.letter_template()))
    name_readings = "".join(c["text"] for c in in_window if round(c["size"], 1) == 7.0)  # over the 14 pt name
    assert "らいちょう" in readings and "しょうめいしょ" in readings
    assert "らいちょうび" in readings  # 来庁日, corrected from the dictionary's らいちょうにち
    assert name_readings == "やまだはなこ"  # the name from the register's kana
    # A reading sits just above its word: 来庁 (12 pt) and its らいちょう (6 pt) share a column.
    base = next(c for c in first.chars if c["text"] == "庁" and c["size"] == 12)
    over = [c for c in rubies if c["text"] in "らいちょう" and abs(c["bottom"] - base["top"]) < 2 * MM]
    assert over and min(abs((c["x0"] + c["x1"]) / 2 - base["x1"]) for c in over) < 6 * MM
    # A word with a reading keeps its place in the sentence: no gap opens before or after it (「ご 協力 を」).
    for sentence in ("ご理解とご協力をいただき", "お持ちのJR定期券割引の証明書は"):
        chars = sentence_chars(first, sentence)
        gaps = [round(b["x0"] - a["x1"], 2) for a, b in zip(chars, chars[1:], strict=False)]
        assert max(gaps) < 0.5, f"{sentence}: gaps {gaps} pt"
    # A list number sits on the line of its text.
    number = next(c for c in first.chars if c["text"] == "1" and round(c["size"]) == 12 and c["x0"] < 25 * MM)
    first_word = sentence_chars(first, "ご来庁の前に")
    assert abs(number["bottom"] - first_word[0]["bottom"]) < 0.5
    # The text itself is unchanged under the readings, and the code and URL are still off the folds.
    assert "ご来庁日の前6か月以内に撮影した写真" in text_without_readings(first, 12)
    assert clear_of_folds(qr_box(second)) and clear_of_folds(search(second, letter.invitation.display_code))
    assert max(c["bottom"] for c in first.chars + second.chars) < 292 * MM
    # The readings over 問い合わせ先 sit below the contact block's rule, not on it.
    label = search(second, "合わせ先")
    # WeasyPrint draws the contact block's top border as two rects around the block: outer and inner edge.
    edges = [r["top"] for r in second.rects if r["top"] < label[1] < r["bottom"] and r["width"] > 150 * MM]
    over_label = [c for c in second.chars if round(c["size"], 1) == 7.0 and label[1] - 3 * MM < c["top"] < label[1]]
    assert edges and over_label
    assert min(c["top"] for c in over_label) - max(edges) > 1 * MM


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
    # The sample address sits inside the frame with a visible margin, not on its line.
    inner = (frame["x0"] + 0.2 * MM, frame["top"] + 0.2 * MM, frame["x1"] - 0.2 * MM, frame["bottom"] - 0.2 * MM)
    lines = ("530-0001", "大阪府大阪市北区梅田1丁目1番1号", "見本ハイツ101号", "見本 太郎 様")
    sample = [search(page, text) for text in lines]
    assert min(inset_mm(box, inner) for box in sample) >= 2
    assert abs(min(box[0] for box in sample) / MM - 22 - letters.ADDRESS_INSET_MM) < 0.3
    assert "99" in page.extract_text() and "198" in page.extract_text()


# The offices of seed_demo, and one with a longer address, department, hours and e-mail than either.
DEMO_HOURS = "平日 8時45分〜17時15分（予約の受付は9時〜16時30分）"
OFFICES = {
    "demo main office": {
        "name": "みなと市役所",
        "department": "生活支援課 証明書窓口",
        "postal_code": "552-0001",
        "address": "大阪府みなと市港町1丁目1番1号 本庁舎2階",
        "hours_text": DEMO_HOURS,
        "phone": "06-0000-0000",
        "fax": "06-0000-0001",
        "email": "shomei@city.minato.example.jp",
    },
    "demo branch office": {
        "name": "みなと市 北支所",
        "department": "市民福祉係",
        "postal_code": "552-0011",
        "address": "大阪府みなと市北町3丁目2番1号 北支所1階",
        "hours_text": DEMO_HOURS,
        "phone": "06-0000-1000",
        "fax": "06-0000-1001",
        "email": "kita-shisho@city.minato.example.jp",
    },
    "long office": {
        "name": "みなと市 北部総合福祉センター",
        "department": "福祉部 生活支援課 証明書発行担当窓口",
        "postal_code": "552-0021",
        "address": "大阪府みなと市北町三丁目2番1号 みなと市北部総合福祉センター 西館3階 第2相談室",
        "hours_text": (
            "平日 8時45分〜17時15分、第2・第4土曜日 9時〜12時（予約の受付は平日9時〜16時30分、土曜日9時〜11時30分）"
        ),
        "phone": "06-0000-2000",
        "fax": "06-0000-2001",
        "email": "hokubu-fukushi-shomei@city.minato.example.jp",
    },
}


@pytest.mark.parametrize("office", OFFICES)
def test_the_contact_block_is_printed_whole_above_the_bottom_margin(frozen, office) -> None:
    """Phone, FAX and e-mail of the office are on the page, every character of the bottom panel at least 11 pt
    and above 287 mm (a 10 mm margin), whatever the office's texts."""
    resident = factories.resident(family_name="山田", given_name="花子", address=LONG_ADDRESS)
    factories.certificate(resident, issued_on=date(2026, 8, 10))
    Office.objects.update(**OFFICES[office])
    batch = services.notice_batch_prepare(month=FEBRUARY)
    [page] = letter_pages(batch)
    fields = OFFICES[office]
    text = page.extract_text().replace("\n", "")
    for wanted in (
        f"電話 {fields['phone']}",
        f"FAX {fields['fax']}",
        f"メール {fields['email']}",
        "お電話が難しい方は、FAXまたはメールでご連絡ください。",
    ):
        assert wanted in text, f"{wanted!r} not printed"
    contact_top = search(page, "問い合わせ先")[1]
    contact = [c for c in page.chars if c["top"] >= contact_top - 0.5]
    assert "".join(c["text"] for c in contact).count("@") == 1
    assert max(c["bottom"] for c in page.chars) <= 287 * MM, f"lowest {max(c['bottom'] for c in page.chars) / MM:.1f}"
    lower = [c for c in page.chars if c["top"] > FOLDS[1]]
    assert min(round(c["size"], 1) for c in lower) >= 11
    # Each line of the booking box's text stays inside its frame.
    frame = booking_frame(page)
    in_frame = [c for c in lower if c["top"] < frame[3] and c["x0"] > frame[0]]
    assert in_frame and max(c["bottom"] for c in in_frame) < frame[3]
    assert search(page, "インターネットでの予約が難しい方")[1] > frame[3]
    assert search(page, "行き違いでお手続きがお済みの場合は")[1] > frame[3]
    # The batch page raises no alarm for the demo's offices (the estimate is cautious: the long one is named).
    named = letters.offices_not_fitting(batch, letters.letter_template())
    assert bool(named) == (office == "long office")


@pytest.mark.parametrize("options", [{}, {"letter_large_print": True}, {"letter_furigana": True}])
def test_the_expiry_box_keeps_clear_of_both_folds(frozen, options) -> None:
    batch = batch_of(**options)
    page = letter_pages(batch)[0]
    first = page.search("有効期限", regex=False)[0]  # the box comes before the greeting's 有効期限を迎えます
    text_box = (first["x0"], first["top"], first["x1"], first["bottom"])
    frames = [
        r
        for r in page.rects
        if r["top"] <= text_box[1] and r["bottom"] >= text_box[3] and r["x0"] < text_box[0] and r["width"] > 100 * MM
    ]
    assert frames, "the expiry box has no frame"
    frame = bbox(frames)
    assert clear_of_folds(frame), f"expiry box at {frame[1] / MM:.1f}–{frame[3] / MM:.1f} mm"


def test_an_office_whose_texts_cannot_fit_the_sheet_is_named_on_the_batch_page(supervisor_client, frozen) -> None:
    batch = batch_of()
    html = supervisor_client.get(f"/staff/notices/batches/{batch.pk}/").content.decode()
    assert "用紙の下の余白" not in html  # the test office fits
    Office.objects.update(hours_text="平日 8時45分〜17時15分（祝日・年末年始を除きます）" * 6)  # 174 of 200 characters
    assert not letters.lower_fit(
        booking_text="",
        url="",
        phone_text="",
        closing="",
        contact_lines=letters.contact_lines(Office.main(), hours=True),
    ).fits
    html = supervisor_client.get(f"/staff/notices/batches/{batch.pk}/").content.decode()
    assert (
        f"{Office.main().name}のお知らせは、予約の案内と問い合わせ先が長く、用紙の下の余白（10mm）にかかるおそれがあります"
        in html
    )

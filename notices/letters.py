"""Letter HTML: the wording from LetterTemplate, the layout from templates/notices/letter_page.html (one letter)
and letter_document.html (the printed document).

The sheet is A4, folded in three (a Z fold, two creases at 99 mm and 198 mm from the top) for a 長形3号 window
envelope. The top panel carries the address block where the envelope's window is (LetterTemplate's rectangle);
the QR code, the booking code and the URL sit inside one panel, clear of both creases (FOLDS_MM and the zones in
letter_document.html; tests/notices/test_letter_geometry.py measures the real PDF). A resident who asked for large
print or furigana gets two sheets: the letter's text on the first, what to bring, the booking and the contact on
the second, each zone again inside one panel.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import segno
from django.conf import settings
from django.template.defaultfilters import linebreaksbr
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from certificates import jp
from certificates.models import Resident
from notices import furigana as ruby_text
from notices.models import Letter, LetterTemplate, NoticeBatch
from reservations import guidance
from reservations.models import Office, Procedure
from staff import wording

TEXT_FIELDS = LetterTemplate.WORDING_FIELDS

# The creases of the Z fold, in mm from the top of the A4 sheet (297 mm / 3).
FOLDS_MM = (99.0, 198.0)
# Sizes in points: body text, and the smallest the URL, the code and the contact block may be.
BODY_PT = 12.0
LARGE_PT = 16.0
# The address block shrinks, down to ADDRESS_MIN_PT, to fit the window; below that the letter is flagged.
ADDRESS_PT = 12.0
ADDRESS_MIN_PT = 10.0
ADDRESS_LINE_HEIGHT = 1.4
NAME_EXTRA_PT = 2.0
NAME_GAP_MM = 2.0
PT_MM = 25.4 / 72
# The address block is set this far inside the window on every side, so a sheet that slips a little in the
# envelope still shows the whole address (the calibration sheet draws the window's own edge).
ADDRESS_INSET_MM = 2.5
# The bottom panel of a one-sheet letter (booking box, phone text, closing, contact block) runs from LOWER_TOP_MM
# and its text must end above 287 mm (a 10 mm margin). lower_fit estimates the line boxes, which end below the
# glyphs, and counts a character more per paragraph than the line-breaking rules may move: measured against the
# PDF it ends 0.6 to 6 mm below the real last line, so LOWER_LIMIT_MM is the margin less half a millimetre.
# Its text is set at the largest of LOWER_SIZES_PT that fits; the contact block stays at CONTACT_PT.
LOWER_TOP_MM = 201.0
LOWER_LIMIT_MM = 286.5
LOWER_SIZES_PT = ((12.0, 1.45), (11.5, 1.45), (11.0, 1.45), (11.0, 1.3))  # (size, line height)
CONTACT_PT = 11.0
LOWER_WIDTH_MM = 210.0 - 2 * 18.0
BOOKING_TEXT_WIDTH_MM = LOWER_WIDTH_MM - 0.8 - 4.0 - 30.0 - 4.0  # border, padding, QR code, gap


def letter_template() -> LetterTemplate:
    template = LetterTemplate.objects.order_by("id").first()
    if template is None:
        template = LetterTemplate.objects.create()
    return template


def booking_url(code: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/book/{code}/"


def qr_svg(url: str) -> str:
    return segno.make(url, error="m", micro=False).svg_inline(scale=3, border=2, omitsize=False)


# --- the address block -------------------------------------------------------------------------------------------

_SPACES = re.compile(r"[ \u3000]+")


def _em(text: str) -> float:
    """Width of `text` in em in BIZ UDGothic, a fixed-pitch face: half-width characters are half an em."""
    return sum(0.5 if unicodedata.east_asian_width(ch) in ("Na", "H") else 1.0 for ch in text)


def address_words(text: str) -> list[str]:
    """The pieces of an address line that are never broken: the line breaks only where the register has a space."""
    return [word for word in _SPACES.split(text.strip()) if word]


def _line_count(text: str, width_em: float) -> int | None:
    """Lines `text` needs when it breaks only at spaces; None when one word is wider than the line."""
    words = address_words(text)
    if not words:
        return 0
    lines, used = 1, 0.0
    for word in words:
        width = _em(word)
        if width > width_em:
            return None
        if used and used + 1.0 + width > width_em:  # a full-width space between words at most
            lines, used = lines + 1, width
        else:
            used = used + (1.0 if used else 0.0) + width
    return lines


@dataclass(frozen=True)
class AddressFit:
    size_pt: float
    fits: bool

    @property
    def name_pt(self) -> float:
        return self.size_pt + NAME_EXTRA_PT


def address_fit(
    template: LetterTemplate, *, postal_code: str, address: str, building: str, name: str, ruby: bool = False
) -> AddressFit:
    """The largest size (ADDRESS_PT down to ADDRESS_MIN_PT) at which the block fits the window, no word broken;
    `fits` False when even the smallest does not (the batch page and the cover sheet then name the letter)."""
    width_mm = float(template.address_width_mm) - 2 * ADDRESS_INSET_MM
    height_mm = float(template.address_height_mm) - 2 * ADDRESS_INSET_MM
    size = ADDRESS_PT
    while size >= ADDRESS_MIN_PT:
        em_mm = size * PT_MM
        name_mm = (size + NAME_EXTRA_PT) * PT_MM
        counts = [_line_count(line, width_mm / em_mm) for line in (postal_code, address, building)]
        name_lines = _line_count(f"{name} 様", width_mm / name_mm)
        if None not in counts and name_lines is not None:
            height = sum(c or 0 for c in counts) * em_mm * ADDRESS_LINE_HEIGHT
            name_height = name_mm * (ADDRESS_LINE_HEIGHT + (0.5 if ruby else 0.0))
            height += name_lines * name_height + NAME_GAP_MM
            if height <= height_mm:
                return AddressFit(size_pt=size, fits=True)
        size -= 0.5
    return AddressFit(size_pt=ADDRESS_MIN_PT, fits=False)


def letter_address_fit(letter: Letter, template: LetterTemplate) -> AddressFit:
    resident = letter.resident
    return address_fit(
        template,
        postal_code=letter.postal_code,
        address=letter.address,
        building=letter.building,
        name=letter.name,
        ruby=bool(resident and resident.letter_furigana),
    )


def letters_not_fitting(batch: NoticeBatch, template: LetterTemplate) -> list[int]:
    """The letters of `batch` still to be mailed whose address block does not fit the envelope window."""
    pending = (
        Letter.objects.filter(batch=batch, status=Letter.Status.PREPARED, anonymised_at__isnull=True)
        .select_related("resident")
        .order_by("postal_code", "pk")
    )
    return [letter.pk for letter in pending if not letter_address_fit(letter, template).fits]


def _unbroken(text: str) -> SafeString:
    """An address line as HTML: each word kept whole (nowrap), lines broken only at the spaces between words."""
    return mark_safe(" ".join(f'<span class="nb">{escape(word)}</span>' for word in address_words(text)))


def address_box(template: LetterTemplate) -> dict[str, Decimal]:
    """Where the address block is set: the window's rectangle less ADDRESS_INSET_MM on every side."""
    inset = Decimal(str(ADDRESS_INSET_MM))
    return {
        "top": template.address_top_mm + inset,
        "left": template.address_left_mm + inset,
        "width": template.address_width_mm - 2 * inset,
        "height": template.address_height_mm - 2 * inset,
    }


# --- the bottom panel --------------------------------------------------------------------------------------------


def _lines_of(text: str, width_mm: float, size_pt: float) -> int:
    """Lines a paragraph of BIZ UD text (fixed pitch) needs at `size_pt` in `width_mm`, one character to spare
    for the line-breaking rules (no 、 or ） at the start of a line)."""
    width_em = width_mm / (size_pt * PT_MM)
    total = 0
    for paragraph in text.splitlines() or [""]:
        total += max(1, -(-int((_em(paragraph) + 1.0) * 2) // int(width_em * 2)))
    return total


@dataclass(frozen=True)
class LowerFit:
    size_pt: float
    line_height: float
    bottom_mm: float
    fits: bool


def lower_fit(*, booking_text: str, url: str, phone_text: str, closing: str, contact_lines: list[str]) -> LowerFit:
    """The largest size (LOWER_SIZES_PT) at which the one-sheet bottom panel ends above LOWER_LIMIT_MM."""
    bottom = LOWER_TOP_MM
    for size, leading in LOWER_SIZES_PT:
        line = size * leading * PT_MM
        code = 18 * 1.3 * PT_MM
        url_mm = _lines_of(url, BOOKING_TEXT_WIDTH_MM, 12) * 12 * 1.45 * PT_MM
        text = 1.0 + _lines_of(booking_text, BOOKING_TEXT_WIDTH_MM, size) * line
        box = max(31.0, code + url_mm + text) + 4.0 + 0.8
        phone = 1.5 + _lines_of(phone_text, LOWER_WIDTH_MM, size) * line
        phone += 1.5 + _lines_of(closing, LOWER_WIDTH_MM, size) * line
        contact_lines_count = sum(_lines_of(t, LOWER_WIDTH_MM, CONTACT_PT) for t in contact_lines)
        contact = 1.3 + contact_lines_count * CONTACT_PT * min(leading, 1.4) * PT_MM
        bottom = LOWER_TOP_MM + box + phone + contact
        if bottom <= LOWER_LIMIT_MM:
            return LowerFit(size_pt=size, line_height=leading, bottom_mm=bottom, fits=True)
    size, leading = LOWER_SIZES_PT[-1]
    return LowerFit(size_pt=size, line_height=leading, bottom_mm=bottom, fits=False)


def contact_lines(office: Office, *, hours: bool) -> list[str]:
    """The contact block's lines as printed (letter_page.html), for lower_fit."""
    lines = [f"問い合わせ先：{office.name} {office.department}　〒{office.postal_code} {office.address}"]
    second = f"電話 {office.phone}" + (f"（{office.hours_text}）" if hours else "")
    second += f"　FAX {office.fax}" if office.fax else ""
    second += f"　メール {office.email}" if office.email else ""
    lines.append(second)
    if office.fax or office.email:
        lines.append("お電話が難しい方は、FAXまたはメールでご連絡ください。")
    return lines


def shows_contact_hours(template: LetterTemplate) -> bool:
    """The contact block gives the hours unless the phone text just above it already does."""
    return "{office_hours}" not in template.phone_text


def template_lower_fit(template: LetterTemplate, office: Office | None, values: dict[str, Any]) -> LowerFit:
    return lower_fit(
        booking_text=wording.fill(template.booking_text, values),
        url=str(values["url"]),
        phone_text=wording.fill(template.phone_text, values),
        closing=wording.fill(template.closing, values),
        contact_lines=contact_lines(office, hours=shows_contact_hours(template)) if office else [],
    )


def offices_not_fitting(batch: NoticeBatch, template: LetterTemplate) -> list[Office]:
    """The offices whose one-sheet letters in `batch` (still to be mailed) cannot print the whole bottom panel
    (booking, phone text, contact) above the bottom margin even at 11 pt: their texts are too long."""
    pending = Letter.objects.filter(batch=batch, status=Letter.Status.PREPARED, invitation__isnull=False)
    procedures = Procedure.objects.filter(invitations__letter__in=pending).select_related("office", "certificate_kind")
    unfit: dict[int, Office] = {}
    for procedure in procedures.distinct():
        office, kind = procedure.office, procedure.certificate_kind
        # The longest values a letter can carry: a date with a two-digit month and day, the procedure's figures.
        longest = date(2027, 12, 28)
        values = {
            "expires_on": jp.wareki(longest),
            "valid_until": jp.wareki(longest),
            "code": "WWWWWWWW",
            "url": booking_url("WWWWWWWW"),
            "photo_months": kind.photo_max_age_months if kind else 6,
            "photo_size": kind.photo_size if kind else "縦4cm×横3cm",
            "office_phone": office.phone,
            "office_hours": office.hours_text,
            "days_ahead": procedure.days_ahead,
            "name": "",
        }
        if not template_lower_fit(template, office, values).fits:
            unfit[office.pk] = office
    return list(unfit.values())


# --- the wording -------------------------------------------------------------------------------------------------


def _kana_readings(family_name: str, given_name: str, family_kana: str, given_kana: str) -> dict[str, str]:
    """The resident's name read as the register holds it, never guessed by the dictionary."""
    readings = {}
    for written, kana in ((family_name, family_kana), (given_name, given_kana)):
        if written and kana and ruby_text.has_kanji(written):
            readings[written] = ruby_text.to_hiragana(kana)
    return readings


class _Writer:
    """Turns the wording into HTML: plain (escaped, line breaks kept) or with furigana on every kanji."""

    def __init__(self, *, furigana: bool, fixed: dict[str, str], values: dict[str, Any]) -> None:
        self.furigana = furigana
        self.fixed = fixed
        self.values = {key: escape(value) for key, value in values.items()}

    def text(self, raw: str) -> SafeString:
        """A fixed label or a list item: no slots."""
        if self.furigana:
            return ruby_text.ruby(raw, fixed=self.fixed)
        return linebreaksbr(raw, autoescape=True)

    def wording(self, raw: str) -> SafeString:
        """A supervisor's text with {slots}: furigana on the wording, the values (dates, numbers, the name as
        HTML already) filled in after, so a date or a phone number never gets a reading."""
        if self.furigana:
            return mark_safe(wording.fill(ruby_text.ruby(raw, fixed=self.fixed), self.values))
        # The text and the values are escaped (here and in __init__) before the line breaks become <br>.
        return mark_safe(linebreaksbr(wording.fill(escape(raw), self.values), autoescape=False))


def sample_context(
    *, template: LetterTemplate, today: date, large_print: bool = False, furigana: bool = False
) -> dict[str, Any]:
    """A letter with made-up data for the wording preview and bench/letter_layout.py: nobody's record is opened."""
    return letter_context(
        template=template,
        office=Office.main(),
        procedure=Procedure.objects.filter(certificate_kind__is_letter_kind=True).first(),
        name="見本 太郎",
        name_readings={"見本": "みほん", "太郎": "たろう"},
        postal_code="530-0001",
        address="大阪府大阪市北区梅田1丁目1番1号",
        building="見本ハイツ101号",
        expires_on=date(today.year + 1, 2, 28),
        code="ACDEFG34",
        valid_until=date(today.year + 1, 3, 30),
        today=today,
        large_print=large_print,
        furigana=furigana,
    )


def letter_context(
    *,
    template: LetterTemplate,
    office: Office | None,
    procedure: Procedure | None,
    name: str,
    postal_code: str,
    address: str,
    expires_on: date,
    code: str,
    valid_until: date,
    today: date,
    building: str = "",
    name_readings: dict[str, str] | None = None,
    large_print: bool = False,
    furigana: bool = False,
) -> dict[str, Any]:
    kind = procedure.certificate_kind if procedure else None
    readings = {**(ruby_text.corrections() if furigana else {}), **(name_readings or {})}
    name_html = ruby_text.ruby(name, fixed=readings) if furigana else escape(name)
    values: dict[str, Any] = {
        "name": name,
        "expires_on": jp.wareki(expires_on),
        "code": code,
        "url": booking_url(code),
        "valid_until": jp.wareki(valid_until),
        "photo_months": kind.photo_max_age_months if kind else 6,
        "photo_size": kind.photo_size if kind else "縦4cm×横3cm",
        "office_phone": office.phone if office else "",
        "office_hours": office.hours_text if office else "",
        "days_ahead": procedure.days_ahead if procedure else 60,
    }
    writer = _Writer(furigana=furigana, fixed=readings, values=values)
    writer.values["name"] = name_html
    texts = {field: writer.wording(getattr(template, field)) for field in TEXT_FIELDS}
    messages = [texts["message_book"], texts["message_no_booking"]]
    if kind is None or kind.photo_required:
        messages.append(texts["message_photo"])
    messages.append(texts["message_in_person"])
    notes = [texts["message_commute"]]
    notes.append(
        texts["message_issued_today"] if kind is None or kind.issued_on_the_day else texts["message_issued_later"]
    )
    display_code = "-".join(code[i : i + 4] for i in range(0, len(code), 4))
    # The letter is in Japanese whatever the language of the page that prints it.
    bring = guidance.bring_items(procedure, language="ja") if procedure else []
    fit = address_fit(template, postal_code=postal_code, address=address, building=building, name=name, ruby=furigana)
    labels = {
        key: writer.text(text)
        for key, text in {
            "expiry": "有効期限",
            "bring": "お持ちいただくもの",
            "notes": "ご注意",
            "code": "予約コード",
            "url": "予約のページ",
            "contact": "問い合わせ先",
            "phone": "電話",
        }.items()
    }
    contact_hours = shows_contact_hours(template)
    lower = template_lower_fit(template, office, values)
    return {
        "t": template,
        "lower_fit": lower,
        "contact_hours": contact_hours,
        "texts": texts,
        "messages": messages,
        "notes": notes,
        "labels": labels,
        "office": office,
        # The sender line says who writes in words a household member may read: the certificate's short name.
        "sender_unit": f"{procedure.public_name} 担当" if procedure else (office.department if office else ""),
        "name": name,
        "name_html": name_html,
        "postal_code": postal_code,
        "address": address,
        "address_html": _unbroken(address),
        "building_html": _unbroken(building),
        "address_fit": fit,
        "expires_on": jp.wareki(expires_on),
        "code": display_code,
        "url": booking_url(code),
        "qr": mark_safe(qr_svg(booking_url(code))),  # SVG generated by segno, no user input
        # The one checklist (reservations.guidance): the same items the booking pages and the e-mails list.
        "bring": [writer.text(item.text) for item in bring],
        "date": jp.wareki(today),
        "title": writer.text(template.title),
        "large_print": large_print,
        "furigana": furigana,
        "two_sheets": large_print or furigana,
    }


def resident_options(resident: Resident | None) -> dict[str, Any]:
    """How this resident's letter is printed, from their record."""
    if resident is None:
        return {}
    return {
        "large_print": resident.letter_large_print,
        "furigana": resident.letter_furigana,
        "name_readings": _kana_readings(
            resident.family_name, resident.given_name, resident.family_name_kana, resident.given_name_kana
        ),
    }


def letter_html_body(letter: Letter, *, template: LetterTemplate, office: Office | None, today: date) -> str:
    invitation = letter.invitation
    if invitation is None:
        raise ValueError(f"letter {letter.pk} has no booking code (anonymised, or not sent) and cannot be shown")
    context = letter_context(
        template=template,
        office=office,
        procedure=invitation.procedure,
        name=letter.name,
        postal_code=letter.postal_code,
        address=letter.address,
        building=letter.building,
        expires_on=letter.expires_on,
        code=invitation.code,
        valid_until=invitation.valid_until,
        today=today,
        **resident_options(letter.resident),
    )
    return render_to_string("notices/letter_page.html", context)


def document(pages: list[str], template: LetterTemplate) -> str:
    return render_to_string(
        "notices/letter_document.html",
        {"pages": mark_safe("".join(pages)), "t": template, "box": address_box(template)},
    )


def cover_html(
    batch: NoticeBatch,
    *,
    count: int,
    prepared_by: str,
    prepared_at: str,
    already_booked: int = 0,
    unfit: list[int] | None = None,
) -> str:
    return render_to_string(
        "notices/cover_page.html",
        {
            "batch": batch,
            "count": count,
            "prepared_by": prepared_by,
            "prepared_at": prepared_at,
            "already_booked": already_booked,
            "unfit": unfit or [],
        },
    )


def calibration_html(template: LetterTemplate) -> str:
    """A sheet to hold against the office's envelopes: the window's rectangle as set, the creases, a sample
    address block; printed on plain paper, folded and put in an envelope."""
    fit = address_fit(
        template,
        postal_code="530-0001",
        address="大阪府大阪市北区梅田1丁目1番1号",
        building="見本ハイツ101号",
        name="見本 太郎",
    )
    page = render_to_string(
        "notices/calibration_page.html",
        {
            "t": template,
            "folds": FOLDS_MM,
            "fit": fit,
            "right_of_window": template.address_left_mm + template.address_width_mm + Decimal(3),
        },
    )
    return document([page], template)

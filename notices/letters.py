"""Letter HTML: the wording from LetterTemplate, the layout from templates/notices/letter.html."""

from __future__ import annotations

from datetime import date
from string import Formatter
from typing import Any

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from certificates import jp
from notices.models import PLACEHOLDERS, Letter, LetterTemplate, NoticeBatch
from reservations.models import Office, Procedure

TEXT_FIELDS = ("greeting", "message_book", "message_no_booking", "message_photo", "booking_text", "phone_text")


def letter_template() -> LetterTemplate:
    template = LetterTemplate.objects.order_by("id").first()
    if template is None:
        template = LetterTemplate.objects.create()
    return template


def unknown_placeholders(text: str) -> list[str]:
    names = []
    try:
        for _literal, field, _spec, _conv in Formatter().parse(text):
            if field is not None and field not in PLACEHOLDERS:
                names.append(field or "{}")
    except ValueError:
        names.append("{")
    return names


def booking_url(code: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/book/{code}/"


def qr_svg(url: str) -> str:
    return segno.make(url, error="m", micro=False).svg_inline(scale=3, border=2, omitsize=False)


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
) -> dict[str, Any]:
    kind = procedure.certificate_kind if procedure else None
    values = {
        "name": name,
        "expires_on": jp.wareki(expires_on),
        "code": code,
        "url": booking_url(code),
        "valid_until": jp.wareki(valid_until),
        "photo_months": kind.photo_max_age_months if kind else 6,
        "photo_size": kind.photo_size if kind else "縦4cm×横3cm",
        "office_phone": office.phone if office else "",
    }
    texts = {field: getattr(template, field).format_map(values) for field in TEXT_FIELDS}
    display_code = "-".join(code[i : i + 4] for i in range(0, len(code), 4))
    return {
        "t": template,
        "texts": texts,
        "office": office,
        "name": name,
        "postal_code": postal_code,
        "address": address,
        "expires_on": jp.wareki(expires_on),
        "code": display_code,
        "url": booking_url(code),
        "qr": mark_safe(qr_svg(booking_url(code))),
        "bring": [line.strip() for line in template.what_to_bring.splitlines() if line.strip()],
        "date": jp.wareki(today),
        "title": template.title,
    }


def letter_html_body(letter: Letter, *, template: LetterTemplate, office: Office | None, today: date) -> str:
    context = letter_context(
        template=template,
        office=office,
        procedure=letter.invitation.procedure,
        name=letter.name,
        postal_code=letter.postal_code,
        address=letter.address,
        expires_on=letter.expires_on,
        code=letter.invitation.code,
        valid_until=letter.invitation.valid_until,
        today=today,
    )
    return render_to_string("notices/letter_page.html", context)


def document(pages: list[str], template: LetterTemplate) -> str:
    return render_to_string("notices/letter_document.html", {"pages": mark_safe("".join(pages)), "t": template})


def cover_html(batch: NoticeBatch, *, count: int, prepared_by: str, prepared_at: str) -> str:
    return render_to_string(
        "notices/cover_page.html",
        {"batch": batch, "count": count, "prepared_by": prepared_by, "prepared_at": prepared_at},
    )

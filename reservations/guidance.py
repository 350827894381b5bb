"""What a resident is told to bring, kept in one place: the procedure's checklist (`Procedure.what_to_bring`, one
item a line, edited by the supervisor) and, when the certificate kind needs one, the photo with the earliest date
it may have been taken. The letter, the booking pages and the e-mails all list `bring_items(...)`, so a change to
the checklist shows everywhere at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import translation
from django.utils.translation import gettext

from certificates import rules as certificate_rules
from certificates.models import CertificateKind
from reservations.models import Procedure
from staff.templatetags.madoguchi import jdate


@dataclass(frozen=True)
class BringItem:
    text: str
    is_photo: bool = False
    # The earliest day the photo may have been taken, when the visit day is known.
    photo_from: date | None = None

    def __str__(self) -> str:
        return self.text


def photo_item(procedure: Procedure, *, visit_day: date | None = None, language: str | None = None) -> BringItem | None:
    """The photo line, or None when the procedure's certificate kind needs no photo."""
    kind = procedure.certificate_kind
    if kind is None or not kind.photo_required:
        return None
    language = language or translation.get_language() or "ja"
    with translation.override(language):
        return _photo_item(kind, visit_day, language)


def _photo_item(kind: CertificateKind, visit_day: date | None, language: str) -> BringItem:
    size = kind.photo_size_in(language)
    if visit_day is None:
        # Said from the visit day backwards: "within six months of the visit" alone reads as "after the visit".
        text = gettext("写真（%(size)s、ご来庁日の前%(months)sか月以内に撮影したもの）") % {
            "size": size,
            "months": kind.photo_max_age_months,
        }
        return BringItem(text=text, is_photo=True)
    earliest = certificate_rules.earliest_photo_date(visit_day, kind.photo_max_age_months)
    text = gettext("写真（%(date)s以降に撮影したもの、%(size)s）") % {"date": jdate(earliest), "size": size}
    return BringItem(text=text, is_photo=True, photo_from=earliest)


def bring_items(procedure: Procedure, *, visit_day: date | None = None, language: str | None = None) -> list[BringItem]:
    """The photo first (when the kind needs one), then the procedure's checklist in the supervisor's order; in
    English (the page's language, or `language="en"`) with the procedure's English checklist (where it has one)
    and the photo size in English."""
    language = language or translation.get_language() or "ja"
    items = [BringItem(text=line) for line in procedure.bring_list_in(language)]
    photo = photo_item(procedure, visit_day=visit_day, language=language)
    return [photo, *items] if photo is not None else items


# Words that tell a reader the household receives welfare or the allowance. An e-mail can be read by others (a
# shared family mailbox): a checklist line with one of them is left out of e-mails, which point to the booking
# page for the whole list instead. The letter (sealed) and the booking pages list every line.
PRIVATE_WORDS = ("保護", "福祉", "手当", "扶養", "障害", "welfare", "allowance", "public assistance", "disab")


def mailable(items: list[BringItem]) -> tuple[list[BringItem], bool]:
    """The items an e-mail may list, and whether any was left out."""
    kept = [item for item in items if not any(word in item.text.lower() for word in PRIVATE_WORDS)]
    return kept, len(kept) < len(items)

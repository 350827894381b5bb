"""What a resident is told to bring, kept in one place: the procedure's checklist (`Procedure.what_to_bring`, one
item a line, edited by the supervisor) and, when the certificate kind needs one, the photo with the earliest date
it may have been taken. The letter, the booking pages and the e-mails all list `bring_items(...)`, so a change to
the checklist shows everywhere at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext

from certificates import rules as certificate_rules
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


def photo_item(procedure: Procedure, *, visit_day: date | None = None) -> BringItem | None:
    """The photo line, or None when the procedure's certificate kind needs no photo."""
    kind = procedure.certificate_kind
    if kind is None or not kind.photo_required:
        return None
    if visit_day is None:
        # Said from the visit day backwards: "within six months of the visit" alone reads as "after the visit".
        text = gettext("写真（%(size)s、ご来庁日の前%(months)sか月以内に撮影したもの）") % {
            "size": kind.photo_size,
            "months": kind.photo_max_age_months,
        }
        return BringItem(text=text, is_photo=True)
    earliest = certificate_rules.earliest_photo_date(visit_day, kind.photo_max_age_months)
    text = gettext("写真（%(date)s以降に撮影したもの、%(size)s）") % {"date": jdate(earliest), "size": kind.photo_size}
    return BringItem(text=text, is_photo=True, photo_from=earliest)


def bring_items(procedure: Procedure, *, visit_day: date | None = None) -> list[BringItem]:
    """The photo first (when the kind needs one), then the procedure's checklist in the supervisor's order."""
    items = [BringItem(text=line) for line in procedure.bring_list]
    photo = photo_item(procedure, visit_day=visit_day)
    return [photo, *items] if photo is not None else items

"""E-mails to residents. They name the counter and the appointment only: never welfare or the allowance."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from certificates import rules as certificate_rules
from reservations import guidance, rules
from reservations.models import Reservation


def reservation_urls(reservation: Reservation) -> dict[str, str]:
    base = settings.SITE_URL.rstrip("/")
    return {
        "manage_url": f"{base}/reservation/{reservation.token}/",
        "ics_url": f"{base}/reservation/{reservation.token}/calendar.ics",
        "change_url": f"{base}/reservation/{reservation.token}/change/",
    }


def mail_context(reservation: Reservation, *, today: date | None = None) -> dict[str, Any]:
    """What every e-mail to a resident shows: the addressee, the office in the mail's language and how to reach it
    (templates/includes/email/), and for a booking what to bring with the earliest photo date and the cut-off.
    Call it with the mail's language active."""
    office = reservation.procedure.office
    language = translation.get_language() or "ja"
    today = today or timezone.localdate()
    slot = reservation.slot
    kind = reservation.procedure.certificate_kind
    photo = kind is not None and kind.photo_required
    bring, more_to_bring = guidance.mailable(
        guidance.bring_items(reservation.procedure, visit_day=slot.day, language=language)
    )
    return {
        "r": reservation,
        "office": office,
        "o": office.in_language(language),
        "bring": bring,
        "more_to_bring": more_to_bring,
        "earliest_photo": certificate_rules.earliest_photo_date(slot.day, kind.photo_max_age_months)
        if photo and kind is not None
        else None,
        "deadline": rules.booking_deadline(procedure=reservation.procedure, day=slot.day),
        # 「明日」 only when it is: a reminder sent on Friday for Monday names the day instead.
        "is_tomorrow": slot.day == today + timedelta(days=1),
    }


def send_reservation_mail(reservation: Reservation, kind: str) -> None:
    office = reservation.procedure.office
    with translation.override(reservation.language or "ja"):
        context = {**mail_context(reservation), **reservation_urls(reservation)}
        subject = render_to_string(f"reservations/email/{kind}_subject.txt", context).strip()
        text = render_to_string(f"reservations/email/{kind}.txt", context)
        html = render_to_string(f"reservations/email/{kind}.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=office.email_sender or settings.DEFAULT_FROM_EMAIL,
        to=[reservation.email],
    )
    message.attach_alternative(html, "text/html")
    message.send()

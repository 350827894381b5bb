"""E-mails to residents. They name the counter and the appointment only: never welfare or the allowance."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from reservations.models import Reservation


def reservation_urls(reservation: Reservation) -> dict[str, str]:
    base = settings.SITE_URL.rstrip("/")
    return {
        "manage_url": f"{base}/reservation/{reservation.token}/",
        "ics_url": f"{base}/reservation/{reservation.token}/calendar.ics",
        "change_url": f"{base}/reservation/{reservation.token}/change/",
    }


def send_reservation_mail(reservation: Reservation, kind: str) -> None:
    office = reservation.procedure.office
    context = {"r": reservation, "office": office, **reservation_urls(reservation)}
    with translation.override(reservation.language or "ja"):
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

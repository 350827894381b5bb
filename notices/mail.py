"""The survey e-mail after a visit. Like every resident e-mail, it names the counter only, never welfare."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from reservations.models import Reservation


def survey_url(reservation: Reservation) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/survey/r/{reservation.token}/?from=email"


def send_survey_mail(reservation: Reservation) -> None:
    office = reservation.procedure.office
    with translation.override(reservation.language or "ja"):
        context = {"r": reservation, "office": office, "o": office.in_language(translation.get_language() or "ja")}
        context["survey_url"] = survey_url(reservation)
        subject = render_to_string("notices/email/survey_subject.txt", context).strip()
        text = render_to_string("notices/email/survey.txt", context)
        html = render_to_string("notices/email/survey.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=office.email_sender or settings.DEFAULT_FROM_EMAIL,
        to=[reservation.email],
    )
    message.attach_alternative(html, "text/html")
    message.send()

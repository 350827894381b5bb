"""django-q2 tasks: thin wrappers around services, each safe to run twice."""

from __future__ import annotations

from django.utils import timezone

from reservations import mail, services
from reservations.models import Reservation


def send_confirmation(reservation_id: int) -> bool:
    reservation = Reservation.objects.select_related("slot", "procedure__office").filter(pk=reservation_id).first()
    if reservation is None or not reservation.email or not reservation.is_active:
        return False
    # Raising lets django-q2 keep the task and retry it when the SMTP server is down.
    mail.send_reservation_mail(reservation, "confirmation")
    return True


def generate_slots() -> int:
    return services.slots_generate_all(today=timezone.localdate())


def send_reminders() -> int:
    return services.reminders_send(now=timezone.now())

"""django-q2 tasks: thin wrappers around services, each safe to run twice."""

from __future__ import annotations

from django.utils import timezone

from reservations import services


def send_confirmation(reservation_id: int) -> bool:
    return services.confirmation_send(reservation_id=reservation_id)


def retry_confirmations() -> int:
    return services.confirmations_retry()


def generate_slots() -> int:
    return services.slots_generate_all(today=timezone.localdate())


def send_reminders() -> int:
    return services.reminders_send(now=timezone.now())


def anonymise_old_reservations() -> int:
    return services.reservations_anonymise().anonymised

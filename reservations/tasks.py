"""django-q2 tasks: thin wrappers around services, each safe to run twice."""

from __future__ import annotations

from django.utils import timezone

from reservations import outbox, slots


def send_confirmation(reservation_id: int) -> bool:
    return outbox.confirmation_send(reservation_id=reservation_id)


def retry_confirmations() -> int:
    return outbox.confirmations_retry()


def generate_slots() -> int:
    return slots.slots_generate_all(today=timezone.localdate())


def send_reminders() -> int:
    return outbox.reminders_send(now=timezone.now())

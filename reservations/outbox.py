"""E-mails to residents: the confirmation after a booking or change, and the reminder the day before.

Each mail is claimed with a conditional UPDATE that must change exactly one row, so two job clusters never send
the same mail twice; a failed send releases the claim and is retried by a scheduled job.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone
from django_q.tasks import async_task

from reservations import calendar, mail
from reservations.models import Reservation

logger = logging.getLogger(__name__)


def notify_async(task: str, reservation_id: int) -> None:
    try:
        async_task(task, reservation_id, task_name=f"{task.rsplit('.', 1)[-1]}-{reservation_id}")
    except Exception:
        # A booking never fails because the mail queue is unreachable; confirmations_retry sends it later.
        logger.exception("could not queue %s for reservation %s", task, reservation_id)


def confirmation_send(*, reservation_id: int, now: datetime | None = None) -> bool:
    """Send the confirmation once. When the SMTP server is down the claim is released and the error raised,
    so the booking stays done and `confirmations_retry` (scheduled) sends it later."""
    now = now or timezone.now()
    claimed = (
        Reservation.objects.filter(pk=reservation_id, confirmation_sent_at__isnull=True, status__in=Reservation.ACTIVE)
        .exclude(email="")
        .update(confirmation_sent_at=now)
    )
    if claimed != 1:
        return False
    reservation = Reservation.objects.select_related("slot", "procedure__office").get(pk=reservation_id)
    try:
        mail.send_reservation_mail(reservation, "confirmation")
    except Exception:
        Reservation.objects.filter(pk=reservation_id).update(confirmation_sent_at=None)
        raise
    return True


def confirmations_retry(*, now: datetime | None = None, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Send the confirmations that failed (SMTP down) or were never queued; returns how many went out."""
    now = now or timezone.now()
    pending = (
        Reservation.objects.filter(
            confirmation_sent_at__isnull=True,
            status__in=Reservation.ACTIVE,
            created_at__lt=now - older_than,
            anonymised_at__isnull=True,
        )
        .exclude(email="")
        .values_list("pk", flat=True)
    )
    sent = 0
    for pk in list(pending[:500]):
        try:
            sent += confirmation_send(reservation_id=pk, now=now)
        except Exception:
            logger.exception("confirmation for reservation %s not sent; it will be retried", pk)
    return sent


def reminders_send(*, now: datetime | None = None) -> int:
    """E-mail a reminder for every booking on the next office day; a claimed row is never mailed twice."""
    now = now or timezone.now()
    day = calendar.next_office_day(timezone.localdate(now))
    if day is None:
        return 0
    sent = 0
    candidates = (
        Reservation.objects.filter(slot__day=day, status=Reservation.Status.BOOKED, reminder_sent_at__isnull=True)
        .exclude(email="")
        .values_list("pk", flat=True)
    )
    for pk in list(candidates):
        # Claim first: of two clusters running this at once, only one moves the row.
        claimed = Reservation.objects.filter(pk=pk, reminder_sent_at__isnull=True).update(reminder_sent_at=now)
        if claimed != 1:
            continue
        reservation = Reservation.objects.select_related("slot", "procedure__office").get(pk=pk)
        try:
            mail.send_reservation_mail(reservation, "reminder")
        except Exception:
            Reservation.objects.filter(pk=pk).update(reminder_sent_at=None)
            logger.exception("reminder for reservation %s not sent; it will be retried", pk)
            continue
        sent += 1
    return sent

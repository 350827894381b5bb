"""Retention: personal data of old reservations is removed by a logged job, never by hand."""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from certificates.rules import months_before
from reservations.models import Reservation, RetentionRun

logger = logging.getLogger(__name__)


def retention_cutoff(today: date) -> date:
    """Reservations of a day before this one are past their retention period."""
    return months_before(today, settings.RESERVATION_RETENTION_MONTHS)


def reservations_anonymise(*, now: datetime | None = None) -> RetentionRun:
    """Remove the personal data of reservations whose day is older than the retention period.

    Name, kana, phone, e-mail, pass user, notes and the client key are blanked, and every link that would lead
    back to the person is cut: the resident, the certificate it was about, the certificate issued from it and the
    letter's invitation. The row keeps its slot, status and channel, so the day list totals stay. What the letters
    led to (the outcome report) is kept on the letters first: the scheduled job is notices.tasks.retention, which
    calls notices.services.retention_run.
    """
    now = now or timezone.now()
    cutoff = retention_cutoff(timezone.localdate(now))
    with transaction.atomic():
        count = Reservation.objects.filter(slot__day__lt=cutoff, anonymised_at__isnull=True).update(
            family_name="",
            given_name="",
            family_name_kana="",
            given_name_kana="",
            phone="",
            phone_digits="",
            email="",
            pass_user_name="",
            needs=[],
            needs_other="",
            notes="",
            client_key="",
            resident=None,
            certificate=None,
            # Evaluated on the row as it was: every SET of one UPDATE reads the old values.
            issued_kept=Case(When(issued_certificate__isnull=False, then=Value(True)), default=F("issued_kept")),
            issued_certificate=None,
            invitation=None,
            anonymised_at=now,
        )
        run = RetentionRun.objects.create(at=now, cutoff=cutoff, anonymised=count)
    logger.info("retention: removed personal data of %s reservations before %s", count, cutoff)
    return run

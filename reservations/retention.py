"""Retention: personal data of old reservations is removed by a logged job, never by hand."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from certificates.rules import months_before
from reservations.models import Reservation, RetentionRun

logger = logging.getLogger(__name__)


def reservations_anonymise(*, now: datetime | None = None) -> RetentionRun:
    """Remove the personal data of reservations whose day is older than the retention period.

    Counts stay intact: the row keeps its slot, status, channel and invitation, so the day list totals and the
    letters' outcome report do not change; name, kana, phone, e-mail, pass user and notes are blanked.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    cutoff = months_before(today, settings.RESERVATION_RETENTION_MONTHS)
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
            notes="",
            resident=None,
            anonymised_at=now,
        )
        run = RetentionRun.objects.create(at=now, cutoff=cutoff, anonymised=count)
    logger.info("retention: removed personal data of %s reservations before %s", count, cutoff)
    return run

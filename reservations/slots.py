"""Slots: made from the opening hours, closures and capacity changes (reservations.rules.slot_places)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from reservations import availability, rules
from reservations.models import Procedure, Slot


def slots_generate(*, procedure: Procedure, start: date, end: date) -> int:
    """Create or adjust the slots of [start, end] from the opening hours; returns how many rows changed.

    Places never drop below what is already booked; a day that became closed keeps its bookings but takes
    no new ones.
    """
    wanted = rules.slot_places(procedure=procedure, start=start, end=end)
    existing = {(s.day, s.start): s for s in Slot.objects.filter(procedure=procedure, day__gte=start, day__lte=end)}
    changed = 0
    with transaction.atomic():
        to_create = []
        for key, (slot_end, places) in wanted.items():
            slot = existing.get(key)
            if slot is None:
                to_create.append(Slot(procedure=procedure, day=key[0], start=key[1], end=slot_end, places=places))
            elif slot.places != places:
                # Never below what is booked, even for a booking that lands between our read and this write.
                changed += Slot.objects.filter(pk=slot.pk).update(places=Greatest(F("booked"), places))
        Slot.objects.bulk_create(to_create, ignore_conflicts=True)
        changed += len(to_create)
        for key, slot in existing.items():
            if key not in wanted and slot.places != slot.booked:
                changed += Slot.objects.filter(pk=slot.pk).update(places=F("booked"))
        # Closures and special openings change the month even when no slot row changed.
        availability.bump(procedure.pk)
    return changed


def slots_generate_all(*, today: date | None = None) -> int:
    today = today or timezone.localdate()
    total = 0
    for procedure in Procedure.objects.filter(is_active=True):
        total += slots_generate(procedure=procedure, start=today, end=today + timedelta(days=procedure.days_ahead))
    return total

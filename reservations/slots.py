"""Slots: made from the opening hours, closures, capacity changes and the duty rota (reservations.rules.slot_places).

The work is done by `staffing.slots_sync`, which also gives the bookings of a clerk who is no longer on duty to a
colleague, or lists them for the supervisor.
"""

from __future__ import annotations

from datetime import date

from reservations import staffing
from reservations.models import Procedure


def slots_generate(*, procedure: Procedure, start: date, end: date) -> int:
    """Create or adjust the slots of [start, end]; returns how many rows changed.

    Places never drop below what is already booked; a day that became closed keeps its bookings but takes
    no new ones.
    """
    return staffing.slots_sync(procedure=procedure, start=start, end=end).slots_changed


def slots_generate_all(*, today: date | None = None) -> int:
    return staffing.slots_sync_all(today=today).slots_changed

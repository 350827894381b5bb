"""Walk-ins: residents who came to the counter without a booking, counted for the outcome report."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.utils import timezone

from reservations.models import Procedure, WalkIn


def walk_in_record(
    *, procedure: Procedure, user: User, served: bool = True, note: str = "", now: datetime | None = None
) -> WalkIn:
    now = now or timezone.now()
    return WalkIn.objects.create(
        procedure=procedure, day=timezone.localdate(now), at=now, served=served, recorded_by=user, note=note[:200]
    )

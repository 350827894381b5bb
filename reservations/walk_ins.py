"""Walk-ins: residents who came to the counter without a booking, counted for the outcome report.

The clerk who calls a walk-in to the counter serves them and is busy until done: the slots of that time (of every
procedure the clerk is qualified for) lose that clerk's place while the walk-in is served, and get it back when
it is done (reservations.rota.Busy, staffing.places_refresh)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from reservations import staffing
from reservations.models import Procedure, WalkIn


def walk_in_record(
    *,
    procedure: Procedure,
    user: User,
    served: bool = True,
    note: str = "",
    had_letter: str = WalkIn.HadLetter.UNKNOWN,
    photo_too_old: bool = False,
    now: datetime | None = None,
) -> WalkIn:
    """Record a walk-in on arrival; the time of the record is the arrival for the waiting-time report."""
    now = now or timezone.now()
    if had_letter not in WalkIn.HadLetter.values:
        raise ValidationError({"had_letter": "お知らせを受け取ったかを選んでください。"})
    return WalkIn.objects.create(
        procedure=procedure,
        day=timezone.localdate(now),
        at=now,
        served=served,
        had_letter=had_letter,
        photo_too_old=photo_too_old,
        recorded_by=user,
        note=note[:200],
    )


@transaction.atomic
def walk_in_mark(*, walk_in: WalkIn, step: str, user: User | None = None, now: datetime | None = None) -> WalkIn:
    """Called to the counter, then done: one click each, once each, in that order, for a walk-in being served.

    The clerk who calls serves: from the call until done, their place in the slots of that time is taken."""
    now = now or timezone.now()
    if step not in ("called", "done"):
        raise ValueError(step)
    staffing.clerks_lock(walk_in.day)
    rows = WalkIn.objects.filter(pk=walk_in.pk, served=True)
    if step == "called":
        changed = rows.filter(called_at__isnull=True).update(called_at=now, clerk=user)
    else:
        changed = rows.filter(called_at__isnull=False, done_at__isnull=True).update(done_at=now)
    current = WalkIn.objects.get(pk=walk_in.pk)
    if changed == 1:
        staffing.places_refresh(day=current.day, clerk_ids=[current.clerk_id])
    if changed != 1:
        if not current.served:
            raise ValidationError("対応できなかった来庁には、呼出・完了を記録できません。")
        if step == "done" and current.called_at is None:
            raise ValidationError("先に「呼出」を押してください。")
        stamp = current.called_at if step == "called" else current.done_at
        label = "呼出" if step == "called" else "完了"
        raise ValidationError(f"この来庁はすでに{timezone.localtime(stamp):%H:%M}に「{label}」を記録しています。")
    return current

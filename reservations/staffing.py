"""Who serves whom: qualifications, the duty rota, the places it gives each slot, the responsible clerk (担当者)
of every booking, absences after bookings exist, and the counter guide.

The places of a slot follow the rota: `rules.places(cap, qualified clerks on duty)`. They are stored on the
slot (`rota_places`, and `places` = the larger of that and what is already booked) whenever the hours, the
rota, a qualification or the cap change, so booking keeps its one conditional UPDATE on the slot row and the
public calendar keeps its one query. A place already booked is never taken away: the booking keeps its place; it
moves to another qualified clerk on duty, or, where none is free, goes on the supervisor's list.

A clerk is one place at a time, whatever the number of procedures (or offices) they are qualified for: once a
booking or a walk-in takes them, the other procedures' slots of that time lose them (`places_refresh`). Everything
that makes a clerk busy or free on a day runs under `clerks_lock(day)`, and every re-computation of the rota under
`rota_lock()`, taken before any slot or booking row, so two bookings of two procedures cannot both take the same
clerk (on SQLite the IMMEDIATE transactions already serialise every writer).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from reservations import availability, calendar, plain_sql, rota, rules
from reservations.models import (
    DutyException,
    DutyPattern,
    GuideTick,
    GuideVersion,
    OpeningHours,
    Procedure,
    Qualification,
    Reservation,
    RotaLog,
    Slot,
    UnstaffedBooking,
)

logger = logging.getLogger(__name__)

ACTIVE = [Reservation.Status.BOOKED, Reservation.Status.ARRIVED]


class NoClerkFree(ValidationError):
    """No qualified clerk on duty is free in the slot: the time is full."""


ROTA_LOCK = "rota"


def advisory_lock_statement(key: str, *, shared: bool = False) -> list[plain_sql.Statement]:
    """The statement that holds `key` until the transaction ends, for plain_sql.run_together. PostgreSQL only
    (none elsewhere): SQLite's IMMEDIATE transactions take the database's one write lock at BEGIN."""
    if connection.vendor != "postgresql":
        return []
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    return [(f"SELECT {function}(hashtext(%s))", [key])]


def clerks_lock(*days: date, then: Sequence[plain_sql.Statement] = ()) -> list[list[tuple[Any, ...]]]:
    """Hold the clerks of these days until the transaction ends: taken by everything that makes a clerk busy or
    free (booking, change, cancel, the counter's states, reassigning, a walk-in called or done).

    The race it prevents: a booking of procedure A and one of procedure B at the same time, each on its own slot
    row, both read "clerk X is free" and both take X. It is taken before any slot or booking row is locked, after
    the shared rota lock, so it cannot deadlock with a rota change (`rota_lock`).

    `then`: statements run right after the locks are held, in the same round trip to the database; their rows are
    returned, in order (a booking takes its client's lock and counts the client's recent bookings there)."""
    statements = advisory_lock_statement(ROTA_LOCK, shared=True)
    for day in sorted(set(days)):
        statements += advisory_lock_statement(f"clerks:{day.isoformat()}")
    results = plain_sql.run_together([*statements, *then])
    return results[len(statements) :]


def rota_lock() -> None:
    """Hold every day's clerks: a change of the rota, a qualification or the hours computes places and moves
    bookings over many days at once."""
    plain_sql.run_together(advisory_lock_statement(ROTA_LOCK))


def log(
    action: str,
    *,
    actor: Any = None,
    clerk: Any = None,
    reservation: Reservation | None = None,
    detail: str = "",
    now: datetime | None = None,
    cause: DutyException | None = None,
) -> RotaLog:
    entry = log_entry(action, actor=actor, clerk=clerk, reservation=reservation, detail=detail, now=now, cause=cause)
    entry.save(force_insert=True)
    return entry


def log_entry(
    action: str,
    *,
    actor: Any = None,
    clerk: Any = None,
    reservation: Reservation | None = None,
    detail: str = "",
    now: datetime | None = None,
    cause: DutyException | None = None,
) -> RotaLog:
    """The entry `log` writes, not yet written."""
    return RotaLog(
        at=now or timezone.now(),
        cause=cause,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        clerk_id=getattr(clerk, "pk", clerk),
        reservation=reservation,
        detail=detail[:300],
    )


def staff_name(user: Any) -> str:
    """Family name first, as Japanese staff names are written."""
    if user is None:
        return "—"
    name = f"{user.last_name} {user.first_name}".strip()
    return name or user.get_username()


# --- keeping slots and bookings in step with the rota ------------------------------------------------------


@dataclass
class Restaffed:
    """What a change of the rota did to existing bookings."""

    moved: list[tuple[Reservation, Any, Any]] = field(default_factory=list)  # (booking, from clerk, to clerk)
    unstaffed: list[Reservation] = field(default_factory=list)
    covered_again: list[Reservation] = field(default_factory=list)
    slots_changed: int = 0

    def add(self, other: Restaffed) -> None:
        self.moved += other.moved
        self.unstaffed += other.unstaffed
        self.covered_again += other.covered_again
        self.slots_changed += other.slots_changed

    def moved_sentences(self) -> list[str]:
        return [
            f"予約 {r.display_number}（{r.slot.day:%-m月%-d日} {r.slot.start:%H:%M}）の担当者を"
            f"{staff_name(old)}さんから{staff_name(new)}さんに変えました。"
            for r, old, new in self.moved
        ]

    def unstaffed_sentence(self) -> str:
        if not self.unstaffed:
            return ""
        return (
            f"交代できる担当者がいない予約が{len(self.unstaffed)}件あります。「担当者が不在の予約」で"
            "別の日時をご案内ください。"
        )


def slots_sync(
    *,
    procedure: Procedure,
    start: date,
    end: date,
    actor: Any = None,
    cause: DutyException | None = None,
    now: datetime | None = None,
) -> Restaffed:
    """Create the slots of [start, end] and set every slot's places from the hours, the cap and the rota; then
    give every booking whose clerk is no longer on duty another qualified clerk, or list it for the supervisor.

    Places never drop below what is booked. A day that became closed keeps its bookings but takes no new ones.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    result = Restaffed()
    with transaction.atomic(), calendar.from_table():
        rota_lock()
        duty = rota.duty_for(start=start, end=end)
        plan = rules.slot_places(procedure=procedure, start=start, end=end, duty=duty)
        qualified = rota.qualified_ids(procedure)
        existing = {(s.day, s.start): s for s in Slot.objects.filter(procedure=procedure, day__gte=start, day__lte=end)}
        to_create = []
        by_rule: dict[int, list[int]] = defaultdict(list)
        for key, (slot_end, places) in plan.items():
            day, slot_start = key
            slot = existing.get(key)
            if slot is None:
                to_create.append(
                    Slot(
                        procedure=procedure,
                        day=day,
                        start=slot_start,
                        end=slot_end,
                        places=places,
                        rota_places=places,
                    )
                )
            elif slot.rota_places != places or slot.places != max(places, slot.booked):
                by_rule[places].append(slot.pk)
        for key, slot in existing.items():
            if key not in plan and (slot.rota_places != 0 or slot.places != slot.booked):
                by_rule[0].append(slot.pk)
        for places, ids in by_rule.items():
            # Never below what is booked, even for a booking that lands between our read and this write.
            result.slots_changed += Slot.objects.filter(pk__in=ids).update(
                rota_places=places, places=Greatest(F("booked"), places)
            )
        Slot.objects.bulk_create(to_create, ignore_conflicts=True)
        result.slots_changed += len(to_create)
        # Bookings whose clerk is no longer at the counter (from today on).
        first = max(start, today)
        bookings = (
            Reservation.objects.filter(
                procedure=procedure, slot__day__gte=first, slot__day__lte=end, status=Reservation.Status.BOOKED
            )
            .select_related("slot", "clerk")
            .order_by("slot__day", "slot__start", "created_at", "id")
        )
        open_unstaffed = set(
            UnstaffedBooking.objects.filter(
                resolved_at__isnull=True, reservation__procedure=procedure, reservation__slot__day__gte=first
            ).values_list("reservation_id", flat=True)
        )
        needs: dict[int, list[Reservation]] = defaultdict(list)
        for r in bookings:
            staffed = (
                r.clerk_id is not None
                and r.clerk_id in qualified
                and duty.on_duty(r.clerk_id, r.slot.day, r.slot.start, r.slot.end)
            )
            if not staffed:
                needs[r.slot_id].append(r)
            elif r.pk in open_unstaffed:
                _resolve(r, UnstaffedBooking.Resolution.COVERED, actor=actor, now=now)
                result.covered_again.append(r)
        for slot_id, waiting in needs.items():
            result.add(_restaff_slot(slot_id, waiting, duty=duty, actor=actor, cause=cause, now=now))
        # A colleague who took a booking is no longer free in the other procedures' slots of that time.
        taken: dict[date, set[int]] = defaultdict(set)
        for r, _old, new in result.moved:
            taken[r.slot.day].add(new.pk)
        for day, clerk_ids in sorted(taken.items()):
            places_refresh(day=day, clerk_ids=clerk_ids, skip_procedure_id=procedure.pk)
        availability.bump(procedure.pk)
    if result.moved or result.unstaffed:
        logger.info(
            "rota change: %s bookings moved to another clerk, %s listed for the supervisor",
            len(result.moved),
            len(result.unstaffed),
        )
    return result


def slots_sync_all(
    *, today: date | None = None, actor: Any = None, cause: DutyException | None = None, now: datetime | None = None
) -> Restaffed:
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    result = Restaffed()
    for procedure in Procedure.objects.filter(is_active=True):
        result.add(
            slots_sync(
                procedure=procedure,
                start=today,
                end=today + timedelta(days=procedure.days_ahead),
                actor=actor,
                cause=cause,
                now=now,
            )
        )
    return result


def clerks_free(
    *,
    procedure_id: int,
    day: date,
    start: time,
    end: time,
    duty: rota.Duty | None = None,
    busy: rota.Busy | None = None,
    qualified: set[int] | None = None,
) -> list[int]:
    """The clerks who can take someone in [start, end) on day: qualified for the procedure, on duty for the whole
    of it, and serving nobody then (no booking of any procedure, no walk-in). Balanced: the clerk with the fewest
    bookings that day first; ties go to the same clerk every time.

    Booking, re-staffing after an absence, the supervisor's reassignment and the walk-in screen all choose from
    this one list."""
    if qualified is None:
        qualified = rota.qualified_ids(procedure_id)
    duty = duty or rota.duty_for(start=day, end=day, user_ids=qualified, known_active=True)
    busy = busy or rota.busy_for(start=day, end=day)
    staff = duty.staff(day, start, end, qualified)
    free = [uid for uid in staff if not busy.serving(uid, day, start, end)]
    return sorted(free, key=lambda uid: (busy.bookings(uid, day), uid))


def _clerk_set(
    reservation: Reservation,
    clerk: Any,
    *,
    actor: Any,
    now: datetime,
    why: str = "",
    cause: DutyException | None = None,
) -> Any:
    """Give the booking another responsible clerk: logged, and taken off the supervisor's list. Returns the
    previous clerk."""
    previous = reservation.clerk
    reservation.clerk = clerk
    reservation.save(update_fields=["clerk"])
    log(
        RotaLog.Action.REASSIGNED,
        actor=actor,
        clerk=clerk,
        reservation=reservation,
        detail=f"予約 {reservation.number}: {staff_name(previous)} → {staff_name(clerk)}{why}",
        now=now,
        cause=cause,
    )
    _resolve(reservation, UnstaffedBooking.Resolution.REASSIGNED, actor=actor, now=now)
    return previous


def _restaff_slot(
    slot_id: int,
    waiting: list[Reservation],
    *,
    duty: rota.Duty,
    actor: Any,
    cause: DutyException | None,
    now: datetime,
) -> Restaffed:
    result = Restaffed()
    # The slot row lock serialises this with bookings into the same slot, which take it by their UPDATE.
    slot = Slot.objects.select_for_update().get(pk=slot_id)
    User = get_user_model()
    for r in waiting:
        r = Reservation.objects.select_for_update(of=("self",)).select_related("clerk", "slot").get(pk=r.pk)
        if r.status != Reservation.Status.BOOKED:
            continue
        free = clerks_free(procedure_id=slot.procedure_id, day=slot.day, start=slot.start, end=slot.end, duty=duty)
        if free:
            chosen = User.objects.get(pk=free[0])
            previous = _clerk_set(r, chosen, actor=actor, now=now, why="（勤務の変更による）", cause=cause)
            result.moved.append((r, previous, chosen))
            continue
        if UnstaffedBooking.objects.filter(reservation=r, resolved_at__isnull=True).exists():
            result.unstaffed.append(r)
            continue
        UnstaffedBooking.objects.create(reservation=r, cause=cause, absent_clerk=r.clerk, found_at=now)
        log(
            RotaLog.Action.UNSTAFFED,
            actor=actor,
            clerk=r.clerk,
            reservation=r,
            detail=f"予約 {r.number}（{slot.day:%Y-%m-%d} {slot.start:%H:%M}）: 交代できる担当者がいません",
            now=now,
            cause=cause,
        )
        result.unstaffed.append(r)
    return result


def places_refresh(
    *,
    day: date,
    clerk_ids: Iterable[int | None],
    skip_procedure_id: int | None = None,
    procedure_ids: Iterable[int] | None = None,
) -> int:
    """Compute again the places of the day's slots of every procedure these clerks are qualified for, after they
    took someone (or were freed): a clerk serving a booking of one procedure, or a walk-in, is no place in the
    other slots of that time. Places never drop below what is booked. Call it with `clerks_lock(day)` held.
    `procedure_ids` are the active procedures the clerks are qualified for, when the caller read them under that
    lock (`clerk_choose`). Returns how many slots changed."""
    ids = {uid for uid in clerk_ids if uid}
    if not ids:
        return 0
    if procedure_ids is not None:
        wanted = set(procedure_ids) - {skip_procedure_id}
        if not wanted:
            return 0
        procedures = Procedure.objects.filter(pk__in=wanted)
    else:
        procedures = (
            Procedure.objects.filter(is_active=True, qualifications__user_id__in=ids)
            .exclude(pk=skip_procedure_id or 0)
            .distinct()
        )
    changed = 0
    duty: rota.Duty | None = None
    busy: rota.Busy | None = None
    for procedure in procedures:
        duty = duty or rota.duty_for(start=day, end=day)
        busy = busy or rota.busy_for(start=day, end=day)
        with calendar.from_table():  # places written to the database come from the table, not a kept copy
            plan = rules.slot_places(procedure=procedure, start=day, end=day, duty=duty, busy=busy)
        by_rule: dict[int, list[int]] = defaultdict(list)
        for slot in Slot.objects.filter(procedure=procedure, day=day):
            planned = plan.get((day, slot.start))
            # A slot the hours no longer give is left to slots_sync, which closes it.
            if planned is not None and (slot.rota_places, slot.places) != (planned[1], max(planned[1], slot.booked)):
                by_rule[planned[1]].append(slot.pk)
        for places, slot_ids in by_rule.items():
            changed += Slot.objects.filter(pk__in=slot_ids).update(
                rota_places=places, places=Greatest(F("booked"), places)
            )
        if by_rule:
            availability.bump(procedure.pk)
    return changed


def _resolve(reservation: Reservation, resolution: str, *, actor: Any, now: datetime) -> bool:
    changed = UnstaffedBooking.objects.filter(reservation=reservation, resolved_at__isnull=True).update(
        resolved_at=now, resolution=resolution
    )
    if changed:
        log(
            RotaLog.Action.RESOLVED,
            actor=actor,
            clerk=reservation.clerk_id,
            reservation=reservation,
            detail=f"予約 {reservation.number}: {UnstaffedBooking.Resolution(resolution).label}",
            now=now,
        )
    return bool(changed)


# --- the responsible clerk of a booking ---------------------------------------------------------------------


@dataclass(frozen=True)
class ClerkChoice:
    clerk_id: int
    # Every active procedure the clerk is qualified for: the slots of the others lose the clerk at that time.
    procedure_ids: frozenset[int]


def clerk_choose(*, slot: Slot, rows: list[tuple[Any, ...]] | None = None) -> ClerkChoice:
    """The qualified clerk on duty, free in this slot, with the fewest bookings that day (`rows`: what
    `rota.slot_clerks_statement` returned, when the caller ran it).

    Called under `clerks_lock(slot.day)` and with the slot row locked (after the booking's conditional UPDATE took
    the place), so bookings of the same day choose one after the other; the unique constraint on (slot, clerk)
    backs it."""
    clerks = rota.slot_clerks(procedure_id=slot.procedure_id, day=slot.day, rows=rows)
    free = clerks_free(
        procedure_id=slot.procedure_id,
        day=slot.day,
        start=slot.start,
        end=slot.end,
        duty=clerks.duty,
        busy=clerks.busy,
        qualified=clerks.qualified,
    )
    if not free:
        raise NoClerkFree(_("この時間は満員になりました。別の時間を選んでください。"), code="full")
    return ClerkChoice(free[0], frozenset(clerks.procedures.get(free[0], ())))


def booking_staffed(reservation: Reservation, *, actor: Any = None, now: datetime | None = None) -> None:
    """Log the clerk a new or moved booking got."""
    staffed_entry(reservation, actor=actor, now=now).save(force_insert=True)


def staffed_entry(reservation: Reservation, *, actor: Any = None, now: datetime | None = None) -> RotaLog:
    """The log entry of booking_staffed, not yet written (a new booking writes it in the round trip that writes the
    reservation: booking._reservation_create)."""
    return log_entry(
        RotaLog.Action.ASSIGNED,
        actor=actor,
        clerk=reservation.clerk_id,
        reservation=reservation,
        detail=f"予約 {reservation.number}（{reservation.slot.day:%Y-%m-%d} {reservation.slot.start:%H:%M}）",
        now=now,
    )


def booking_left(reservation: Reservation, resolution: str, *, actor: Any = None, now: datetime | None = None) -> None:
    """A booking moved to another time or was cancelled: it no longer waits on the supervisor's list."""
    _resolve(reservation, resolution, actor=actor, now=now or timezone.now())


def reservation_reassign(*, reservation: Reservation, clerk_id: int, actor: Any, now: datetime | None = None) -> None:
    """The supervisor gives a booking to another qualified clerk who is on duty and free in its slot."""
    now = now or timezone.now()
    with transaction.atomic():
        day = Slot.objects.values_list("day", flat=True).get(pk=reservation.slot_id)
        clerks_lock(day)
        slot = Slot.objects.select_for_update().get(pk=reservation.slot_id)
        reservation = Reservation.objects.select_for_update(of=("self",)).select_related("clerk").get(pk=reservation.pk)
        if reservation.status not in ACTIVE:
            raise ValidationError(_("この予約は担当者を変更できません。"))
        if reservation.clerk_id == clerk_id:
            return
        if clerk_id not in rota.qualified_ids(slot.procedure_id):
            raise ValidationError(_("選んだ職員はこの手続きの担当資格がありません。"))
        duty = rota.duty_for(start=slot.day, end=slot.day, user_ids=[clerk_id])
        if not duty.on_duty(clerk_id, slot.day, slot.start, slot.end):
            raise ValidationError(_("選んだ職員はこの時間に勤務していません。勤務表で臨時の勤務を登録してください。"))
        if clerk_id not in clerks_free(
            procedure_id=slot.procedure_id, day=slot.day, start=slot.start, end=slot.end, duty=duty
        ):
            raise ValidationError(_("選んだ職員はこの時間に別の予約を担当しています。"))
        previous = _clerk_set(reservation, get_user_model().objects.get(pk=clerk_id), actor=actor, now=now)
        # The new clerk is busy in the other procedures' slots of that time, the previous one free again.
        places_refresh(day=slot.day, clerk_ids=[clerk_id, getattr(previous, "pk", None)])


# --- qualifications -----------------------------------------------------------------------------------------


def qualifications_set(
    *, user: Any, procedure_ids: Iterable[int], actor: Any, now: datetime | None = None
) -> Restaffed:
    """Grant and withdraw qualifications so that `user` holds exactly those for `procedure_ids`."""
    now = now or timezone.now()
    wanted = {int(p) for p in procedure_ids}
    known = set(Procedure.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    if wanted - known:
        raise ValidationError(_("選んだ手続きが見つかりません。"))
    with transaction.atomic():
        held = set(Qualification.objects.filter(user=user).values_list("procedure_id", flat=True))
        for procedure in Procedure.objects.filter(pk__in=wanted - held):
            Qualification.objects.create(user=user, procedure=procedure, granted_at=now, granted_by=actor)
            log(RotaLog.Action.QUALIFIED, actor=actor, clerk=user, detail=procedure.name, now=now)
        for procedure in Procedure.objects.filter(pk__in=held - wanted):
            Qualification.objects.filter(user=user, procedure=procedure).delete()
            log(RotaLog.Action.UNQUALIFIED, actor=actor, clerk=user, detail=procedure.name, now=now)
        result = Restaffed()
        for procedure in Procedure.objects.filter(pk__in=wanted ^ held, is_active=True):
            result.add(_sync_ahead(procedure, actor=actor, now=now))
    return result


def _sync_ahead(procedure: Procedure, *, actor: Any, now: datetime, cause: DutyException | None = None) -> Restaffed:
    today = timezone.localdate(now)
    return slots_sync(
        procedure=procedure,
        start=today,
        end=today + timedelta(days=procedure.days_ahead),
        actor=actor,
        cause=cause,
        now=now,
    )


def _sync_days(start: date, end: date, *, actor: Any, now: datetime, cause: DutyException | None = None) -> Restaffed:
    """Re-staff the days [start, end] (only those from today on that can still hold bookings)."""
    today = timezone.localdate(now)
    result = Restaffed()
    for procedure in Procedure.objects.filter(is_active=True):
        last = min(end, today + timedelta(days=procedure.days_ahead))
        first = max(start, today)
        if first <= last:
            result.add(slots_sync(procedure=procedure, start=first, end=last, actor=actor, cause=cause, now=now))
    return result


# --- the rota -----------------------------------------------------------------------------------------------


def _check_hours(start: time | None, end: time | None) -> None:
    if (start is None) != (end is None):
        raise ValidationError(_("開始と終了の両方を入力するか、両方を空欄（終日）にしてください。"))
    if start is not None and end is not None and end <= start:
        raise ValidationError(_("終了は開始より後の時刻にしてください。"))


def duty_pattern_set(
    *, user: Any, weekday: int, intervals: list[tuple[time, time]], actor: Any, now: datetime | None = None
) -> Restaffed:
    """Replace the clerk's weekly hours for one weekday (an empty list: not at the counter that weekday)."""
    now = now or timezone.now()
    if not 0 <= weekday <= 6:
        raise ValidationError(_("曜日が正しくありません。"))
    for start, end in intervals:
        _check_hours(start, end)
    intervals = rota.merge(intervals)
    with transaction.atomic():
        current = sorted(DutyPattern.objects.filter(user=user, weekday=weekday).values_list("start", "end"))
        if current == intervals:
            return Restaffed()
        DutyPattern.objects.filter(user=user, weekday=weekday).delete()
        DutyPattern.objects.bulk_create([DutyPattern(user=user, weekday=weekday, start=s, end=e) for s, e in intervals])
        label = dict(OpeningHours.WEEKDAYS)[weekday]
        text = "、".join(f"{s:%H:%M}〜{e:%H:%M}" for s, e in intervals) or "勤務なし"
        log(RotaLog.Action.PATTERN, actor=actor, clerk=user, detail=f"毎週{label}曜日: {text}", now=now)
        return _sync_days(timezone.localdate(now), timezone.localdate(now) + timedelta(days=366), actor=actor, now=now)


@dataclass
class AbsenceOutcome:
    exception: DutyException
    result: Restaffed


def duty_exception_add(
    *,
    user: Any,
    day: date,
    kind: str,
    actor: Any,
    start: time | None = None,
    end: time | None = None,
    note: str = "",
    now: datetime | None = None,
) -> AbsenceOutcome:
    """Record an absence (or an extra turn) and at once re-staff the bookings it touches."""
    now = now or timezone.now()
    if kind not in DutyException.Kind.values:
        raise ValidationError({"kind": _("種別を選んでください。")})
    _check_hours(start, end)
    if kind == DutyException.Kind.EXTRA and start is None:
        raise ValidationError({"start": _("臨時の勤務には開始と終了の時刻を入力してください。")})
    if day < timezone.localdate(now):
        raise ValidationError({"day": _("過ぎた日には登録できません。")})
    with transaction.atomic():
        exception = DutyException(
            user=user, day=day, start=start, end=end, kind=kind, note=note[:100], created_at=now, created_by=actor
        )
        exception.full_clean()
        exception.save()
        log(RotaLog.Action.EXCEPTION_ADDED, actor=actor, clerk=user, detail=str(exception), now=now, cause=exception)
        result = _sync_days(day, day, actor=actor, now=now, cause=exception)
    return AbsenceOutcome(exception, result)


def duty_exception_remove(*, exception: DutyException, actor: Any, now: datetime | None = None) -> Restaffed:
    now = now or timezone.now()
    with transaction.atomic():
        text = str(exception)
        day = exception.day
        user = exception.user
        exception.delete()
        log(RotaLog.Action.EXCEPTION_REMOVED, actor=actor, clerk=user, detail=text, now=now)
        return _sync_days(day, day, actor=actor, now=now)


def staff_deactivated(*, user: Any, actor: Any = None, now: datetime | None = None) -> Restaffed:
    """An account was switched off: its future bookings go to colleagues or on the supervisor's list, and every
    slot's places are computed again without it (the public calendar's cache follows: slots_sync bumps it)."""
    now = now or timezone.now()
    with transaction.atomic():
        log(RotaLog.Action.DEACTIVATED, actor=actor, clerk=user, detail=staff_name(user), now=now)
        return _sync_days(timezone.localdate(now), timezone.localdate(now) + timedelta(days=366), actor=actor, now=now)


def on_account_deactivated(
    sender: Any, *, user: Any, by: Any = None, now: datetime | None = None, **kwargs: Any
) -> list[str]:
    """Receiver of staff.signals.account_deactivated (connected in ReservationsConfig.ready): runs inside the
    transaction that switched the account off, and tells the supervisor what became of its bookings."""
    result = staff_deactivated(user=user, actor=by, now=now)
    sentences = result.moved_sentences()
    if result.unstaffed:
        sentences.append(result.unstaffed_sentence())
    return sentences


# --- the supervisor's list ----------------------------------------------------------------------------------


@transaction.atomic
def unstaffed_offer(
    *, unstaffed: UnstaffedBooking, channel: str, actor: Any, now: datetime | None = None
) -> UnstaffedBooking:
    """Offer the resident another time: an e-mail with the change link, or a phone call the supervisor made."""
    now = now or timezone.now()
    unstaffed = (
        UnstaffedBooking.objects.select_for_update(of=("self",))
        .select_related("reservation__slot")
        .get(pk=unstaffed.pk)
    )
    reservation = unstaffed.reservation
    if unstaffed.resolved_at is not None:
        raise ValidationError(_("この予約はすでに対応済みです。"))
    if channel == UnstaffedBooking.Channel.MAIL:
        if not reservation.email:
            raise ValidationError(_("この予約にはメールアドレスがありません。電話でご連絡ください。"))
        if not rules.can_change_online(reservation, now=now):
            raise ValidationError(
                _("締切を過ぎているため、ご本人はインターネットで変更できません。電話でご連絡ください。")
            )
        pk = reservation.pk
        transaction.on_commit(lambda: _send_offer(pk))
    elif channel != UnstaffedBooking.Channel.PHONE:
        raise ValidationError(_("連絡の方法を選んでください。"))
    unstaffed.offered_at = now
    unstaffed.offered_by = actor
    unstaffed.offer_channel = channel
    unstaffed.save(update_fields=["offered_at", "offered_by", "offer_channel"])
    log(
        RotaLog.Action.OFFERED,
        actor=actor,
        clerk=unstaffed.absent_clerk_id,
        reservation=reservation,
        detail=f"予約 {reservation.number}: {UnstaffedBooking.Channel(channel).label}で別の日時を案内",
        now=now,
    )
    return unstaffed


def _send_offer(reservation_id: int) -> None:
    from reservations import mail

    reservation = Reservation.objects.select_related("slot", "procedure__office").get(pk=reservation_id)
    try:
        mail.send_reservation_mail(reservation, "reschedule")
    except Exception:
        logger.exception("the offer of another time for reservation %s was not sent", reservation_id)
        UnstaffedBooking.objects.filter(reservation_id=reservation_id, resolved_at__isnull=True).update(
            offered_at=None, offer_channel=""
        )


# --- the counter guide --------------------------------------------------------------------------------------


@dataclass
class GuideLine:
    index: int
    text: str
    heading: bool
    done: bool = False


def guide_current(procedure: Procedure) -> GuideVersion | None:
    return GuideVersion.objects.filter(procedure=procedure).order_by("-version").first()


def guide_publish(
    *, procedure: Procedure, steps: str, note: str, actor: Any, now: datetime | None = None
) -> GuideVersion:
    """A new version of the guide; the older ones stay, since served appointments point at them."""
    now = now or timezone.now()
    lines = [line.strip() for line in (steps or "").splitlines() if line.strip()]
    if not any(not line.startswith("#") for line in lines):
        raise ValidationError({"steps": _("手順を1行以上入力してください。")})
    with transaction.atomic():
        # The procedure row lock keeps two supervisors from publishing the same version number.
        Procedure.objects.select_for_update().filter(pk=procedure.pk).first()
        current = guide_current(procedure)
        if current is not None and current.steps.strip() == "\n".join(lines):
            raise ValidationError({"steps": _("現在の版と同じ内容です。変更してから保存してください。")})
        guide = GuideVersion.objects.create(
            procedure=procedure,
            version=(current.version + 1) if current else 1,
            steps="\n".join(lines),
            note=note[:200],
            published_at=now,
            published_by=actor,
        )
        log(RotaLog.Action.GUIDE, actor=actor, detail=f"{procedure.name} 第{guide.version}版 {note}"[:300], now=now)
    return guide


def guide_lines(guide: GuideVersion, *, reservation: Reservation | None = None) -> list[GuideLine]:
    from certificates.rules import earliest_photo_date

    kind = guide.procedure.certificate_kind
    photo_date = ""
    if reservation is not None and kind is not None and kind.photo_required:
        photo_date = f"{earliest_photo_date(reservation.slot.day, kind.photo_max_age_months):%Y年%-m月%-d日}"
    values = {
        "photo_date": photo_date or f"（来庁日から{kind.photo_max_age_months if kind else 6}か月前の日）",
        "photo_size": kind.photo_size if kind else "縦4cm×横3cm",
    }
    done = set()
    if reservation is not None:
        done = set(
            GuideTick.objects.filter(reservation=reservation, guide=guide, done=True).values_list("step", flat=True)
        )
    result = []
    for index, line in enumerate(guide.steps.splitlines()):
        text = line.strip()
        for name, value in values.items():
            text = text.replace("{" + name + "}", value)
        heading = text.startswith("#")
        result.append(GuideLine(index, text.lstrip("#").strip() if heading else text, heading, index in done))
    return result


def guide_for_reservation(reservation: Reservation) -> GuideVersion | None:
    """The version this appointment follows: the one its first tick used, else the current one."""
    tick = GuideTick.objects.filter(reservation=reservation).select_related("guide").order_by("at", "id").first()
    if tick is not None:
        return tick.guide
    return guide_current(reservation.procedure)


@transaction.atomic
def guide_ticks_save(
    *, reservation: Reservation, guide: GuideVersion, done_steps: Iterable[int], actor: Any, now: datetime | None = None
) -> int:
    """Record which steps the clerk ticked while serving; returns how many are ticked."""
    now = now or timezone.now()
    reservation = Reservation.objects.select_for_update().get(pk=reservation.pk)
    if guide.procedure_id != reservation.procedure_id:
        raise ValidationError(_("この手続きの窓口案内ではありません。"))
    used = GuideTick.objects.filter(reservation=reservation).exclude(guide=guide).exists()
    if used:
        raise ValidationError(_("この予約は別の版の窓口案内で対応中です。画面を読み込み直してください。"))
    steps = {i for i, line in enumerate(guide.steps.splitlines()) if line.strip() and not line.strip().startswith("#")}
    wanted = {int(s) for s in done_steps} & steps
    existing = {t.step: t for t in GuideTick.objects.filter(reservation=reservation)}
    for step in steps:
        tick = existing.get(step)
        should = step in wanted
        if tick is None and should:
            GuideTick.objects.create(reservation=reservation, guide=guide, step=step, done=True, at=now, by=actor)
        elif tick is not None and tick.done != should:
            tick.done, tick.at, tick.by = should, now, actor
            tick.save(update_fields=["done", "at", "by"])
    return len(wanted)


# --- walk-ins -----------------------------------------------------------------------------------------------


@dataclass
class WalkInStatus:
    procedure: Procedure
    can_serve: bool
    reason: str
    slot: Slot | None = None
    clerks: list[Any] = field(default_factory=list)


def walk_in_status(*, procedure: Procedure, now: datetime) -> WalkInStatus:
    """Whether a resident without a booking can be served now: the procedure takes walk-ins, and a qualified
    clerk on duty serves nobody now (no booking of the current slot or of another procedure, no walk-in)."""
    if not procedure.walk_ins_accepted:
        return WalkInStatus(procedure, False, _("この手続きは予約制です。予約なしの来庁は受け付けていません。"))
    local = timezone.localtime(now)
    day, moment = local.date(), local.time().replace(second=0, microsecond=0)
    slot = Slot.objects.filter(procedure=procedure, day=day, start__lte=moment, end__gt=moment).first()
    if slot is None:
        return WalkInStatus(procedure, False, _("いまは受付時間外です。"))
    qualified = rota.qualified_ids(procedure)
    duty = rota.duty_for(start=day, end=day, user_ids=qualified)
    if not duty.staff(day, moment, slot.end, qualified):
        return WalkInStatus(procedure, False, _("いま、この手続きを担当できる職員が窓口にいません。"), slot)
    # Busy over the whole current slot: a clerk with a booking in it cannot start a walk-in now.
    busy = rota.busy_for(start=day, end=day)
    free = clerks_free(procedure_id=procedure.pk, day=day, start=moment, end=slot.end, duty=duty, busy=busy)
    free = [uid for uid in free if not busy.serving(uid, day, slot.start, slot.end)]
    if not free:
        return WalkInStatus(procedure, False, _("担当できる職員は、いまの時間の予約に対応中です。"), slot)
    clerks = list(get_user_model().objects.filter(pk__in=free).order_by("last_name", "first_name"))
    return WalkInStatus(procedure, True, _("いま対応できます。"), slot, clerks)

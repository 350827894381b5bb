"""Booking, changing and cancelling reservations; slots; invitations; walk-ins; reminders."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates import jp
from certificates.models import AccessLog, Certificate
from certificates.rules import months_before
from certificates.services import access_log_record
from reservations import availability, calendar
from reservations.models import (
    Acknowledgement,
    CalendarDay,
    CapacityOverride,
    Invitation,
    OpeningHours,
    Procedure,
    Reservation,
    ReservationAcknowledgement,
    RetentionRun,
    Slot,
    WalkIn,
    normalize_code,
    random_code,
)

logger = logging.getLogger(__name__)


class SlotFull(ValidationError):
    pass


# --- slots ---------------------------------------------------------------------------------------------


def _slot_times(hours: OpeningHours) -> Iterable[tuple[time, time]]:
    start = datetime.combine(date(2000, 1, 1), hours.start)
    end = datetime.combine(date(2000, 1, 1), hours.end)
    step = timedelta(minutes=hours.slot_minutes)
    while start + step <= end:
        yield start.time(), (start + step).time()
        start += step


def slots_generate(*, procedure: Procedure, start: date, end: date) -> int:
    """Create or adjust the slots of [start, end] from the opening hours; returns how many rows changed.

    Places never drop below what is already booked; a day that became closed keeps its bookings but takes
    no new ones.
    """
    hours_by_weekday: dict[int, list[OpeningHours]] = {}
    for hours in procedure.hours.all():
        hours_by_weekday.setdefault(hours.weekday, []).append(hours)
    exceptions = {c.day: c for c in CalendarDay.objects.filter(day__gte=start, day__lte=end)}
    overrides = {
        (o.day, o.start): o.places
        for o in CapacityOverride.objects.filter(procedure=procedure, day__gte=start, day__lte=end)
    }
    existing = {(s.day, s.start): s for s in Slot.objects.filter(procedure=procedure, day__gte=start, day__lte=end)}
    open_days = set(calendar.office_days(start, end))
    wanted: dict[tuple[date, time], tuple[time, int]] = {}
    for day in sorted(open_days):
        exception = exceptions.get(day)
        weekday = exception.hours_like if exception and exception.kind == CalendarDay.Kind.OPEN else day.weekday()
        for hours in hours_by_weekday.get(weekday, []):
            for slot_start, slot_end in _slot_times(hours):
                places = overrides.get((day, slot_start), overrides.get((day, None), hours.places))
                wanted[(day, slot_start)] = (slot_end, places)
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


# --- booking window --------------------------------------------------------------------------------------


def booking_deadline(*, procedure: Procedure, day: date) -> datetime:
    """Bookings, changes and cancellations for `day` close at the cut-off hour of the previous office day."""
    previous = calendar.previous_office_day(day)
    return timezone.make_aware(datetime.combine(previous, time(procedure.cutoff_hour, 0)))


def bookable_range(*, procedure: Procedure, now: datetime) -> tuple[date, date]:
    today = timezone.localdate(now)
    return today + timedelta(days=1), today + timedelta(days=procedure.days_ahead)


def day_is_bookable(*, procedure: Procedure, day: date, now: datetime) -> bool:
    first, last = bookable_range(procedure=procedure, now=now)
    if not first <= day <= last:
        return False
    # One look at the calendar answers both: is the day open, and which office day comes before it.
    days = calendar.office_days(day - timedelta(days=40), day)
    if not days or days[-1] != day:
        return False
    previous = days[-2] if len(days) > 1 else day - timedelta(days=1)
    return now < timezone.make_aware(datetime.combine(previous, time(procedure.cutoff_hour, 0)))


def _check_slot_open(slot: Slot, *, now: datetime, staff: bool) -> None:
    if staff:
        if slot.starts_at <= now - timedelta(minutes=slot.procedure.duration_minutes):
            raise ValidationError(_("この時間はすでに過ぎています。"))
        return
    if not day_is_bookable(procedure=slot.procedure, day=slot.day, now=now):
        raise ValidationError(_("この日はインターネットで予約できません。別の日を選んでください。"))


# --- contact details -------------------------------------------------------------------------------------


@dataclass
class Contact:
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    phone: str
    email: str = ""
    pass_user_name: str = ""

    def cleaned(self) -> Contact:
        errors: dict[str, str] = {}
        family = (self.family_name or "").strip()
        given = (self.given_name or "").strip()
        if not family:
            errors["family_name"] = _("姓を入力してください。")
        if not given:
            errors["given_name"] = _("名を入力してください。")
        kana_f = jp.to_katakana(self.family_name_kana)
        kana_g = jp.to_katakana(self.given_name_kana)
        if not jp.is_katakana(kana_f):
            errors["family_name_kana"] = _("セイをカタカナで入力してください。")
        if not jp.is_katakana(kana_g):
            errors["given_name_kana"] = _("メイをカタカナで入力してください。")
        phone = jp.normalize_phone(self.phone)
        if not 10 <= len(jp.phone_digits(phone)) <= 11:
            errors["phone"] = _("電話番号は10桁または11桁の数字で入力してください。")
        email = (self.email or "").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors["email"] = _("メールアドレスの形式が正しくありません。")
        for name, value, limit in (
            ("family_name", family, 50),
            ("given_name", given, 50),
            ("family_name_kana", kana_f, 50),
            ("given_name_kana", kana_g, 50),
            ("email", email, 254),
            ("pass_user_name", self.pass_user_name or "", 100),
        ):
            if len(value) > limit:
                errors[name] = _("%(limit)s文字以内で入力してください。") % {"limit": limit}
        if errors:
            raise ValidationError(errors)
        return Contact(family, given, kana_f, kana_g, phone, email, (self.pass_user_name or "").strip())


# --- invitations -----------------------------------------------------------------------------------------


def invitation_find(code: str, *, today: date) -> Invitation:
    """The open invitation for a code, or a ValidationError saying why it cannot be used."""
    invitation = (
        Invitation.objects.select_related("resident", "certificate", "procedure")
        .filter(code=normalize_code(code))
        .first()
    )
    if invitation is None:
        raise ValidationError(_("この予約コードは見つかりませんでした。"), code="unknown")
    if invitation.used_at is not None:
        raise ValidationError(_("この予約コードはすでに使われています。"), code="used")
    if today > invitation.valid_until:
        raise ValidationError(_("この予約コードは有効期限が過ぎています。"), code="expired")
    return invitation


def invitation_create(
    *, resident: Any, certificate: Certificate, procedure: Procedure, valid_until: date
) -> Invitation:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Invitation.objects.create(
                    code=random_code(8),
                    resident=resident,
                    certificate=certificate,
                    procedure=procedure,
                    valid_until=valid_until,
                )
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a unique invitation code")


# --- booking ---------------------------------------------------------------------------------------------


def _lock_phone(phone_digits: str) -> None:
    # Two requests with the same phone could both see "no active booking"; on PostgreSQL an advisory lock
    # serialises them. SQLite's IMMEDIATE transactions already serialise every writer.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"phone:{phone_digits}"])


def _take_place(slot_id: int, procedure_id: int) -> None:
    # The race: many requests for the last place read "1 left" at once. Only one conditional UPDATE can
    # move booked from places-1 to places; the others touch no row and are told the time is full.
    updated = Slot.objects.filter(pk=slot_id, booked__lt=F("places")).update(booked=F("booked") + 1)
    if updated != 1:
        raise SlotFull(_("この時間は満員になりました。別の時間を選んでください。"), code="full")
    availability.bump(procedure_id)


def _release_place(slot_id: int, procedure_id: int) -> None:
    Slot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)
    availability.bump(procedure_id)


def required_acknowledgements(procedure: Procedure) -> list[Acknowledgement]:
    return [a for a in procedure.acknowledgements.filter(active=True) if a.required]


def reservation_book(
    *,
    procedure: Procedure,
    slot_id: int,
    contact: Contact,
    acknowledged: Iterable[int],
    channel: str = Reservation.Channel.WEB,
    invitation_code: str | None = None,
    user: AbstractBaseUser | None = None,
    language: str = "ja",
    notes: str = "",
    now: datetime | None = None,
) -> Reservation:
    now = now or timezone.now()
    contact = contact.cleaned()
    staff = channel != Reservation.Channel.WEB
    if staff and user is None:
        raise ValidationError("職員による予約には職員の記録が必要です。")
    acknowledged = {int(a) for a in acknowledged}
    active_acks = list(procedure.acknowledgements.filter(active=True))
    missing = [a for a in active_acks if a.required and a.pk not in acknowledged]
    if missing:
        raise ValidationError({"acknowledgements": _("すべての確認事項にチェックを入れてください。")})
    slot = Slot.objects.select_related("procedure").filter(pk=slot_id, procedure=procedure).first()
    if slot is None:
        raise ValidationError(_("選択した時間は予約できません。もう一度選んでください。"))
    with transaction.atomic():
        _check_slot_open(slot, now=now, staff=staff)
        invitation = None
        if invitation_code:
            invitation = Invitation.objects.select_for_update().filter(code=normalize_code(invitation_code)).first()
            if invitation is None or not invitation.is_open(timezone.localdate(now)):
                raise ValidationError(
                    _("この予約コードは使えません。コードなしで予約を続けてください。"), code="invitation"
                )
            if invitation.procedure_id != procedure.pk:
                raise ValidationError(_("この予約コードは別の手続きのものです。"), code="invitation")
        digits = jp.phone_digits(contact.phone)
        limit = settings.BOOKINGS_PER_PHONE
        if limit:
            _lock_phone(digits)
            active = Reservation.objects.filter(
                phone_digits=digits,
                procedure=procedure,
                status__in=Reservation.ACTIVE,
                slot__day__gte=timezone.localdate(now),
            ).count()
            if active >= limit:
                raise ValidationError(
                    {"phone": _("この電話番号ではすでに予約があります。予約の変更は「予約の確認・変更」からできます。")}
                )
        _take_place(slot.pk, slot.procedure_id)
        reservation = _reservation_create(
            procedure=procedure,
            slot=slot,
            contact=contact,
            digits=digits,
            channel=channel,
            invitation=invitation,
            user=user,
            language=language,
            notes=notes,
            now=now,
        )
        ReservationAcknowledgement.objects.bulk_create(
            [
                ReservationAcknowledgement(
                    reservation=reservation,
                    acknowledgement=a,
                    text=a.render(),
                    version=a.version,
                    agreed_at=now,
                    read_out_by=user if staff else None,
                )
                for a in active_acks
                if a.pk in acknowledged
            ]
        )
        if invitation is not None:
            invitation.used_at = now
            invitation.save(update_fields=["used_at"])
        if user is not None and reservation.resident_id:
            access_log_record(
                user=user,
                action=AccessLog.Action.UPDATE,
                resident=reservation.resident,
                detail=f"予約 {reservation.number}",
            )
        if reservation.email:
            transaction.on_commit(lambda: notify_async("reservations.tasks.send_confirmation", reservation.pk))
    return reservation


def _reservation_create(
    *,
    procedure: Procedure,
    slot: Slot,
    contact: Contact,
    digits: str,
    channel: str,
    invitation: Invitation | None,
    user: Any,
    language: str,
    notes: str,
    now: datetime,
) -> Reservation:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Reservation.objects.create(
                    number=random_code(8),
                    token=Reservation.new_token(),
                    procedure=procedure,
                    slot=slot,
                    channel=channel,
                    family_name=contact.family_name,
                    given_name=contact.given_name,
                    family_name_kana=contact.family_name_kana,
                    given_name_kana=contact.given_name_kana,
                    phone=contact.phone,
                    phone_digits=digits,
                    email=contact.email,
                    pass_user_name=contact.pass_user_name,
                    language=language[:5],
                    notes=notes,
                    invitation=invitation,
                    resident=invitation.resident if invitation else None,
                    certificate=invitation.certificate if invitation else None,
                    created_at=now,
                    created_by=user,
                )
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a unique reservation number")


def notify_async(task: str, reservation_id: int) -> None:
    from django_q.tasks import async_task

    try:
        async_task(task, reservation_id, task_name=f"{task.rsplit('.', 1)[-1]}-{reservation_id}")
    except Exception:  # noqa: BLE001 - a booking never fails because the mail queue is unreachable
        logger.exception("could not queue %s for reservation %s", task, reservation_id)


def reservation_lookup(*, number: str, phone: str) -> Reservation | None:
    """The reservation only when both the number and the phone match; the caller shows one answer for both."""
    reservation = Reservation.objects.select_related("slot", "procedure").filter(number=normalize_code(number)).first()
    if reservation is None or reservation.anonymised_at is not None:
        return None
    if reservation.phone_digits != jp.phone_digits(phone):
        return None
    return reservation


def can_change_online(reservation: Reservation, *, now: datetime) -> bool:
    return reservation.status == Reservation.Status.BOOKED and now < booking_deadline(
        procedure=reservation.procedure, day=reservation.slot.day
    )


@transaction.atomic
def reservation_cancel(
    *, reservation: Reservation, now: datetime | None = None, user: AbstractBaseUser | None = None, reason: str = ""
) -> Reservation:
    now = now or timezone.now()
    reservation = Reservation.objects.select_for_update().select_related("slot", "procedure").get(pk=reservation.pk)
    if reservation.status != Reservation.Status.BOOKED:
        if reservation.status == Reservation.Status.CANCELLED:
            raise ValidationError(_("この予約はすでに取り消されています。"), code="already")
        raise ValidationError(_("この予約は取り消せません。"))
    if user is None and not can_change_online(reservation, now=now):
        raise ValidationError(_("締切を過ぎたため、インターネットでは取り消せません。お電話でご連絡ください。"))
    reservation.status = Reservation.Status.CANCELLED
    reservation.status_changed_at = now
    reservation.status_changed_by = user
    reservation.cancel_reason = reason[:200]
    reservation.save(update_fields=["status", "status_changed_at", "status_changed_by", "cancel_reason"])
    _release_place(reservation.slot_id, reservation.procedure_id)
    if reservation.invitation_id:
        # The letter's code works again, so a resident who cancels can still book with it.
        Invitation.objects.filter(pk=reservation.invitation_id).update(used_at=None)
    return reservation


@transaction.atomic
def reservation_change(
    *, reservation: Reservation, new_slot_id: int, now: datetime | None = None, user: AbstractBaseUser | None = None
) -> Reservation:
    now = now or timezone.now()
    reservation = Reservation.objects.select_for_update().select_related("slot", "procedure").get(pk=reservation.pk)
    if reservation.status != Reservation.Status.BOOKED:
        raise ValidationError(_("この予約は変更できません。"))
    if user is None and not can_change_online(reservation, now=now):
        raise ValidationError(_("締切を過ぎたため、インターネットでは変更できません。お電話でご連絡ください。"))
    if reservation.slot_id == int(new_slot_id):
        return reservation
    slot = Slot.objects.select_related("procedure").filter(pk=new_slot_id, procedure=reservation.procedure).first()
    if slot is None:
        raise ValidationError(_("選択した時間は予約できません。もう一度選んでください。"))
    _check_slot_open(slot, now=now, staff=user is not None)
    # The new place is held before the old one is released: a failure leaves the booking as it was.
    _take_place(slot.pk, slot.procedure_id)
    _release_place(reservation.slot_id, reservation.procedure_id)
    reservation.slot = slot
    reservation.reminder_sent_at = None
    reservation.confirmation_sent_at = None
    reservation.save(update_fields=["slot", "reminder_sent_at", "confirmation_sent_at"])
    if reservation.email:
        transaction.on_commit(lambda: notify_async("reservations.tasks.send_confirmation", reservation.pk))
    return reservation


TRANSITIONS = {
    Reservation.Status.BOOKED: {Reservation.Status.ARRIVED, Reservation.Status.NO_SHOW, Reservation.Status.CANCELLED},
    Reservation.Status.ARRIVED: {Reservation.Status.DONE, Reservation.Status.BOOKED},
    Reservation.Status.NO_SHOW: {Reservation.Status.BOOKED, Reservation.Status.ARRIVED},
    Reservation.Status.DONE: {Reservation.Status.ARRIVED},
    Reservation.Status.CANCELLED: set(),
}


@transaction.atomic
def reservation_set_status(
    *,
    reservation: Reservation,
    status: str,
    user: AbstractBaseUser,
    expected: str | None = None,
    now: datetime | None = None,
) -> Reservation:
    """Move a reservation along the counter's states; `expected` guards against two clerks clicking at once."""
    now = now or timezone.now()
    reservation = Reservation.objects.select_for_update().get(pk=reservation.pk)
    if expected and reservation.status != expected:
        raise ValidationError(
            f"予約 {reservation.number} は別の職員がすでに「{reservation.get_status_display()}」にしています。"
        )
    if status == reservation.status:
        return reservation
    if status not in TRANSITIONS.get(reservation.status, set()):
        raise ValidationError(
            f"「{reservation.get_status_display()}」から「{Reservation.Status(status).label}」には変更できません。"
        )
    if status == Reservation.Status.CANCELLED:
        return reservation_cancel(reservation=reservation, user=user, now=now, reason="職員が取消")
    reservation.status = status
    reservation.status_changed_at = now
    reservation.status_changed_by = user
    reservation.save(update_fields=["status", "status_changed_at", "status_changed_by"])
    return reservation


@transaction.atomic
def reservation_link_issued(*, reservation: Reservation, certificate: Certificate, user: AbstractBaseUser) -> None:
    reservation = Reservation.objects.select_for_update().get(pk=reservation.pk)
    reservation.issued_certificate = certificate
    if reservation.resident_id is None:
        reservation.resident = certificate.resident
    if reservation.status in (Reservation.Status.BOOKED, Reservation.Status.ARRIVED):
        reservation.status = Reservation.Status.DONE
        reservation.status_changed_at = timezone.now()
        reservation.status_changed_by = user
    reservation.save(
        update_fields=["issued_certificate", "resident", "status", "status_changed_at", "status_changed_by"]
    )


def walk_in_record(
    *, procedure: Procedure, user: AbstractBaseUser, served: bool = True, note: str = "", now: datetime | None = None
) -> WalkIn:
    now = now or timezone.now()
    return WalkIn.objects.create(
        procedure=procedure, day=timezone.localdate(now), at=now, served=served, recorded_by=user, note=note[:200]
    )


# --- e-mails --------------------------------------------------------------------------------------------


def confirmation_send(*, reservation_id: int, now: datetime | None = None) -> bool:
    """Send the confirmation once. When the SMTP server is down the claim is released and the error raised,
    so the booking stays done and `confirmations_retry` (scheduled) sends it later."""
    from reservations import mail

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


# --- reminders -------------------------------------------------------------------------------------------


def reminders_send(*, now: datetime | None = None) -> int:
    """E-mail a reminder for every booking on the next office day; a claimed row is never mailed twice."""
    from reservations import mail

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


# --- retention -------------------------------------------------------------------------------------------


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

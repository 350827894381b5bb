"""Booking a place, and the reservation's life after it: look-up, change, cancel and the counter's states.

Capacity is held by a conditional UPDATE on the slot plus the slot_capacity CheckConstraint; every rule about
*when* a booking is possible comes from reservations.rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates import jp
from certificates.models import AccessLog, Certificate, CertificateKind, Resident
from certificates.services import access_log_record, certificate_check_photo, certificate_issue
from reservations import availability, plain_sql, rota, rules, selectors, staffing
from reservations.models import (
    Acknowledgement,
    Invitation,
    Procedure,
    Reservation,
    ReservationAcknowledgement,
    Slot,
    normalize_code,
    random_code,
)
from reservations.outbox import notify_async
from reservations.ratelimit import parse_rate


class SlotFull(ValidationError):
    pass


@dataclass
class Contact:
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    phone: str
    email: str = ""
    pass_user_name: str = ""
    # Needs at the counter (Reservation.Need codes) and anything else the resident writes.
    needs: list[str] = field(default_factory=list)
    needs_other: str = ""

    def cleaned(self, *, latin_reading: bool = False) -> Contact:
        """The details normalised, or a ValidationError naming each field that is wrong and how to write it.

        With `latin_reading` (a booking made in English) the reading may be given in Latin letters, and left
        empty when the name itself is in Latin letters: it is stored upper-case in the kana fields (SMITH), where
        the day list shows it; staff can add the katakana when they register the resident."""
        errors: dict[str, str] = {}
        family = (self.family_name or "").strip()
        given = (self.given_name or "").strip()
        if not family:
            errors["family_name"] = _("姓を入力してください。")
        if not given:
            errors["given_name"] = _("名を入力してください。")
        kana_f = self._reading(self.family_name_kana, family, latin_reading)
        kana_g = self._reading(self.given_name_kana, given, latin_reading)
        # In English the reading is optional, as the form says: it is needed only for a name that is not in
        # Latin letters, so no reading is asked for while the name itself is still empty.
        typed_f, typed_g = (self.family_name_kana or "").strip(), (self.given_name_kana or "").strip()
        if not kana_f and not (latin_reading and not typed_f and not family):
            if latin_reading and not typed_f:
                errors["family_name_kana"] = _(
                    "姓がローマ字でないときは、セイ（フリガナ）をカタカナかローマ字で入力してください（例：ヤマダ、YAMADA）。"
                )
            elif latin_reading:
                errors["family_name_kana"] = _(
                    "セイ（フリガナ）は、カタカナかローマ字で入力してください（例：ヤマダ、SMITH）。"
                )
            else:
                errors["family_name_kana"] = _("セイ（フリガナ）は、カタカナで入力してください（例：ヤマダ）。")
        if not kana_g and not (latin_reading and not typed_g and not given):
            if latin_reading and not typed_g:
                errors["given_name_kana"] = _(
                    "名がローマ字でないときは、メイ（フリガナ）をカタカナかローマ字で入力してください（例：ハナコ、HANAKO）。"
                )
            elif latin_reading:
                errors["given_name_kana"] = _(
                    "メイ（フリガナ）は、カタカナかローマ字で入力してください（例：ハナコ、JOHN）。"
                )
            else:
                errors["given_name_kana"] = _("メイ（フリガナ）は、カタカナで入力してください（例：ハナコ）。")
        phone = jp.normalize_phone(self.phone)
        if not (self.phone or "").strip():
            errors["phone"] = _("電話番号を入力してください。")
        elif not 10 <= len(jp.phone_digits(phone)) <= 11:
            errors["phone"] = _("電話番号は、10桁か11桁の数字で入力してください（例：090-1234-5678）。")
        email = (self.email or "").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors["email"] = _("メールアドレスは、例のような形で入力してください（例：madoguchi@example.jp）。")
        needs = [self.needs] if isinstance(self.needs, str) else list(self.needs or [])
        if any(code not in Reservation.Need.values for code in needs):
            errors["needs"] = _("来庁時の配慮は、表示されている選択肢から選んでください。")
        needs_other = (self.needs_other or "").strip()
        for name, label, value, limit in (
            ("family_name", _("姓"), family, 50),
            ("given_name", _("名"), given, 50),
            ("family_name_kana", _("セイ（フリガナ）"), kana_f, 50),
            ("given_name_kana", _("メイ（フリガナ）"), kana_g, 50),
            ("email", _("メールアドレス"), email, 254),
            ("pass_user_name", _("定期券を使う方の氏名"), self.pass_user_name or "", 100),
            ("needs_other", _("その他の配慮"), needs_other, 200),
        ):
            if len(value) > limit:
                errors[name] = _("%(label)sは%(limit)s文字以内で入力してください（いま%(length)s文字）。") % {
                    "label": label,
                    "limit": limit,
                    "length": len(value),
                }
        if errors:
            raise ValidationError(errors)
        return Contact(
            family,
            given,
            kana_f,
            kana_g,
            phone,
            email,
            (self.pass_user_name or "").strip(),
            [code for code in Reservation.Need.values if code in needs],
            needs_other,
        )

    @staticmethod
    def _reading(value: str, name: str, latin: bool) -> str:
        """The reading in katakana (from katakana, hiragana or half-width kana), or with `latin` in Latin
        letters, taken from the name when left empty; "" when it cannot be read."""
        kana = jp.to_katakana(value)
        if jp.is_katakana(kana):
            return kana
        if latin:
            return jp.latin_reading(value) or ("" if (value or "").strip() else jp.latin_reading(name))
        return ""


@dataclass(frozen=True)
class _Statement:
    """An acknowledgement as the booking records it: the text rendered in the booking's language."""

    pk: int
    required: bool
    text: str
    version: int


def _statements_to_agree_query(procedure: Procedure) -> plain_sql.Statement:
    return (
        "SELECT a.id, a.text, a.text_en, a.version, a.required, a.is_photo_rule,"
        " k.photo_max_age_months, k.photo_size, k.photo_size_en"
        " FROM reservations_acknowledgement a"
        " JOIN reservations_procedure p ON p.id = a.procedure_id"
        " LEFT JOIN certificates_certificatekind k ON k.id = p.certificate_kind_id"
        ' WHERE a.procedure_id = %s AND a.active ORDER BY a."order", a.id',
        [procedure.pk],
    )


def _statements_to_agree(procedure: Procedure, language: str, rows: list[tuple[Any, ...]]) -> list[_Statement]:
    """Procedure.acknowledgements_to_agree, read as plain values in one query with the certificate kind whose photo
    rule fills them in: the statements as they stand when the booking is made. The pages before show them with
    the kind their process keeps (selectors.acknowledgements_to_agree); what is stored comes from the database.
    `rows`: what `_statements_to_agree_query` returned (run with the booking's locks)."""
    kept = procedure.certificate_kind
    without_photo_rule = kept is not None and not kept.photo_required
    statements = []
    kind = None
    for pk, text, text_en, version, required, is_photo_rule, months, size, size_en in rows:
        if is_photo_rule and without_photo_rule:
            continue
        if kind is None and months is not None:
            kind = CertificateKind(photo_max_age_months=months, photo_size=size, photo_size_en=size_en)
        statements.append(
            _Statement(pk, bool(required), Acknowledgement.render_text(text, text_en, kind, language), version)
        )
    return statements


def _agreed_rows(
    reservation: Reservation, statements: list[_Statement], *, agreed_at: datetime, read_out_by_id: int | None
) -> list[plain_sql.Statement]:
    """The INSERTs that store with the reservation each statement agreed to: its text and version as read for the
    booking, and when (ReservationAcknowledgement rows); they find the new reservation by its number and token."""
    return [
        plain_sql.insert_referring(
            ReservationAcknowledgement(
                acknowledgement_id=statement.pk,
                text=statement.text,
                version=statement.version,
                agreed_at=agreed_at,
                read_out_by_id=read_out_by_id,
            ),
            "reservation",
            _NEW_RESERVATION,
            [reservation.number, reservation.token],
        )
        for statement in statements
    ]


# The reservation being written, for the rows written with it in the same round trip (both columns are unique).
_NEW_RESERVATION = "r.number = %s AND r.token = %s"


def _check_slot_open(slot: Slot, *, now: datetime, staff: bool) -> None:
    if staff:
        if not rules.staff_can_book(slot, now=now):
            raise ValidationError(_("この時間はすでに過ぎています。"))
        return
    if not rules.day_is_bookable(procedure=slot.procedure, day=slot.day, now=now):
        raise ValidationError(_("この日はインターネットで予約できません。別の日を選んでください。"))


def _lock_phone(phone_digits: str) -> None:
    # Two requests with the same phone could both see "no active booking"; on PostgreSQL an advisory lock
    # serialises them. SQLite's IMMEDIATE transactions already serialise every writer.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"phone:{phone_digits}"])


def _burst_statements(client_key: str, *, now: datetime) -> list[plain_sql.Statement]:
    """At most BOOKING_BURST_RATE web bookings (cancelled ones included) from one client in its period: the
    statements that count them, run with the clerks' lock (staffing.clerks_lock's `then`), and `_burst_check`
    reads their last result.

    Counted in the database inside the booking's transaction, so two servers cannot both let the last one
    through: PostgreSQL serialises the client's bookings with an advisory lock, taken before the count, SQLite's
    IMMEDIATE transactions serialise every writer."""
    _limit, seconds = parse_rate(settings.BOOKING_BURST_RATE)
    return [
        *staffing.advisory_lock_statement(f"client:{client_key}"),
        (
            "SELECT COUNT(*) FROM reservations_reservation WHERE client_key = %s AND channel = %s AND created_at > %s",
            [
                client_key,
                Reservation.Channel.WEB,
                connection.ops.adapt_datetimefield_value(now - timedelta(seconds=seconds)),
            ],
        ),
    ]


def _burst_check(counted: list[tuple[Any, ...]]) -> None:
    limit, _seconds = parse_rate(settings.BOOKING_BURST_RATE)
    ((recent,),) = counted
    if recent >= limit:
        raise ValidationError(
            _(
                "短い時間に多くの予約があったため、この端末からの予約をしばらく受け付けられません。"
                "お電話で予約してください。"
            ),
            code="burst",
        )


def _take_place(slot: Slot) -> list[tuple[Any, ...]]:
    """Take a place in the slot and return what rota.slot_clerks_statement reads for choosing its clerk, read in
    the same round trip right after the place is taken."""
    taken, day_left, clerk_rows = plain_sql.run_together(_take_place_statements(slot))
    return _place_taken(slot, taken, day_left, clerk_rows)


def _take_place_statements(slot: Slot) -> list[plain_sql.Statement]:
    # The race: many requests for the last place read "1 left" at once. Only one conditional UPDATE can
    # move booked from places-1 to places; the others touch no row and are told the time is full. The UPDATE
    # also matches the procedure, day and times the booking was checked against, so the row it changes is the
    # slot those checks were about, whatever the caller read them from. Written out: every booking runs it.
    ops = connection.ops
    return [
        (
            "UPDATE reservations_slot SET booked = booked + 1"
            ' WHERE id = %s AND procedure_id = %s AND day = %s AND start = %s AND "end" = %s'
            " AND booked < places RETURNING id",
            [
                slot.pk,
                slot.procedure_id,
                ops.adapt_datefield_value(slot.day),
                ops.adapt_timefield_value(slot.start),
                ops.adapt_timefield_value(slot.end),
            ],
        ),
        # The places the day has left with this one taken, read after the UPDATE (a statement of its own, so it
        # sees it). Every booking of the day holds the day's lock (staffing.clerks_lock), so no other booking of
        # the day commits between the two.
        (
            "SELECT SUM(places) - SUM(booked) FROM reservations_slot WHERE procedure_id = %s AND day = %s",
            [slot.procedure_id, ops.adapt_datefield_value(slot.day)],
        ),
        rota.slot_clerks_statement(procedure_id=slot.procedure_id, day=slot.day),
    ]


def _place_taken(
    slot: Slot, taken: list[tuple[Any, ...]], day_left: list[tuple[Any, ...]], clerk_rows: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """What _take_place_statements returned: SlotFull when the UPDATE took no place, else the clerks' rows.

    The month calendar shows a day as open while it has a place left, and full once it has none: a booking
    changes it only when it takes the day's last place, and only then is the calendar made again
    (reservations.availability). A cancellation, a change of the rota or of the hours always changes the
    version."""
    if len(taken) != 1:
        raise SlotFull(_("この時間は満員になりました。別の時間を選んでください。"), code="full")
    if not day_left or not day_left[0][0]:
        availability.bump(slot.procedure_id)
    return clerk_rows


def _release_place(slot_id: int, procedure_id: int) -> None:
    # A place kept for a booking beyond what the rota now gives (its clerk became absent) goes with it.
    Slot.objects.filter(pk=slot_id, booked__gt=0).update(
        booked=F("booked") - 1, places=Greatest(F("booked") - 1, F("rota_places"))
    )
    availability.bump(procedure_id)


def _choose_clerk(slot: Slot, clerk_rows: list[tuple[Any, ...]]) -> staffing.ClerkChoice:
    # From what _take_place read after taking the place, so this transaction held the slot row: bookings of one
    # slot choose their clerk one after the other, and the unique (slot, clerk) constraint backs it.
    try:
        return staffing.clerk_choose(slot=slot, rows=clerk_rows)
    except staffing.NoClerkFree as exc:
        raise SlotFull(exc.messages[0], code="full") from exc


def reservation_book(
    *,
    procedure: Procedure,
    slot_id: int,
    contact: Contact,
    acknowledged: Iterable[int],
    slot: Slot | None = None,
    channel: str = Reservation.Channel.WEB,
    invitation_code: str | None = None,
    user: User | None = None,
    language: str = "ja",
    notes: str = "",
    client_key: str = "",
    now: datetime | None = None,
) -> Reservation:
    """Book a place. `client_key` (reservations.review.client_key) says which client a web booking came from:
    a burst from one client is capped at BOOKING_BURST_RATE and shown to the supervisor. `slot` is the slot row
    the caller has just read, when it has (it is not read again); its places are taken by a conditional UPDATE
    either way."""
    now = now or timezone.now()
    contact = contact.cleaned(latin_reading=language == "en")
    staff = channel != Reservation.Channel.WEB
    if staff and user is None:
        raise ValidationError("職員による予約には職員の記録が必要です。")
    acknowledged = {int(a) for a in acknowledged}
    if slot is None or slot.pk != slot_id or slot.procedure_id != procedure.pk:
        slot = Slot.objects.filter(pk=slot_id, procedure=procedure).first()
    if slot is not None:
        slot.procedure = procedure  # with its office, which the booking window reads
    if slot is None:
        raise ValidationError(_("選択した時間は予約できません。もう一度選んでください。"))
    burst = _burst_statements(client_key, now=now) if not staff and client_key else []
    limit = settings.BOOKINGS_PER_PHONE
    # Without a letter's code to lock, or a phone number to check first, the place is taken in the round trip that
    # takes the locks, right after them: a check below that fails rolls it back with the rest.
    take_with_locks = not invitation_code and not (limit and staff)
    with transaction.atomic():
        # The statements to agree are read in the round trip that takes the locks.
        then = [*burst, _statements_to_agree_query(procedure)]
        if take_with_locks:
            then += _take_place_statements(slot)
        results = staffing.clerks_lock(slot.day, then=then)
        taken: list[tuple[Any, ...]] = []
        day_left: list[tuple[Any, ...]] = []
        clerk_rows: list[tuple[Any, ...]] = []
        if take_with_locks:
            *counted, ack_rows, taken, day_left, clerk_rows = results
        else:
            *counted, ack_rows = results
        active_acks = _statements_to_agree(procedure, language, ack_rows)
        if any(a.required and a.pk not in acknowledged for a in active_acks):
            raise ValidationError({"acknowledgements": _("すべての確認事項にチェックを入れてください。")})
        _check_slot_open(slot, now=now, staff=staff)
        invitation = None
        if invitation_code:
            invitation = Invitation.objects.select_for_update().filter(code=normalize_code(invitation_code)).first()
            if invitation is None or not invitation.is_open(timezone.localdate(now)):
                raise ValidationError(
                    _("この予約コードは使えません。コードなしで予約を続けてください。"), code="invitation"
                )
            # The letter invites the resident to their own office; they may book the same procedure at another.
            invited = Procedure.objects.filter(pk=invitation.procedure_id).values_list("certificate_kind", flat=True)
            if invitation.procedure_id != procedure.pk and invited.first() != procedure.certificate_kind_id:
                raise ValidationError(_("この予約コードは別の手続きのものです。"), code="invitation")
        if burst:
            _burst_check(counted[-1])
        digits = jp.phone_digits(contact.phone)
        # Online, a phone number that already has a booking is not refused: the answer would tell anyone whether
        # that number has an appointment at the welfare counter. The supervisor sees such duplicates on the
        # review page (reservations.review) and cancels what should not stand. Staff, who may know, are told.
        if limit and staff:
            _lock_phone(digits)
            pass_user = rules.pass_user_key(
                family_name=contact.family_name, given_name=contact.given_name, pass_user_name=contact.pass_user_name
            )
            active = Reservation.objects.filter(
                phone_digits=digits,
                procedure=procedure,
                status__in=Reservation.ACTIVE,
                slot__day__gte=timezone.localdate(now),
            ).only("family_name", "given_name", "pass_user_name")
            same_user = [
                r
                for r in active
                if rules.pass_user_key(
                    family_name=r.family_name, given_name=r.given_name, pass_user_name=r.pass_user_name
                )
                == pass_user
            ]
            if len(same_user) >= limit:
                raise ValidationError(
                    {
                        "phone": "この電話番号では、同じ方（定期券を使う方）の予約がすでにあります。"
                        "予約の変更は日ごとの一覧の予約からできます。家族の別の方の予約なら、"
                        "「定期券を使う方の氏名」にその方の氏名を入力してください。"
                    }
                )
        if take_with_locks:
            clerk_rows = _place_taken(slot, taken, day_left, clerk_rows)
        else:
            clerk_rows = _take_place(slot)
        choice = _choose_clerk(slot, clerk_rows)
        agreed = [a for a in active_acks if a.pk in acknowledged]
        read_out_by_id = user.pk if staff and user is not None else None

        def written_with(new: Reservation) -> list[plain_sql.Statement]:
            # The statements agreed to and the clerk's log entry, in the round trip that writes the reservation.
            entry = staffing.staffed_entry(new, actor=user, now=now)
            return [
                *_agreed_rows(new, agreed, agreed_at=now, read_out_by_id=read_out_by_id),
                plain_sql.insert_referring(entry, "reservation", _NEW_RESERVATION, [new.number, new.token]),
            ]

        reservation = _reservation_create(
            procedure=procedure,
            slot=slot,
            clerk_id=choice.clerk_id,
            contact=contact,
            digits=digits,
            channel=channel,
            invitation=invitation,
            user=user,
            language=language,
            notes=notes,
            client_key=client_key if not staff else "",
            now=now,
            written_with=written_with,
        )
        # The clerk is now busy in the other procedures' slots of this time (one person, one place).
        staffing.places_refresh(
            day=slot.day,
            clerk_ids=[choice.clerk_id],
            skip_procedure_id=procedure.pk,
            procedure_ids=choice.procedure_ids,
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
    clerk_id: int,
    contact: Contact,
    digits: str,
    channel: str,
    invitation: Invitation | None,
    user: Any,
    language: str,
    notes: str,
    client_key: str,
    now: datetime,
    written_with: Callable[[Reservation], list[plain_sql.Statement]],
) -> Reservation:
    """The reservation, written with its number and token drawn again while either is taken; `written_with` gives
    the statements that write the rows that refer to it, run in the same round trip (`insert_unless_taken`)."""
    reservation = Reservation(
        procedure=procedure,
        slot=slot,
        clerk_id=clerk_id,
        channel=channel,
        family_name=contact.family_name,
        given_name=contact.given_name,
        family_name_kana=contact.family_name_kana,
        given_name_kana=contact.given_name_kana,
        phone=contact.phone,
        phone_digits=digits,
        email=contact.email,
        pass_user_name=contact.pass_user_name,
        needs=contact.needs,
        needs_other=contact.needs_other,
        language=language[:5],
        notes=notes,
        client_key=client_key,
        invitation=invitation,
        resident=invitation.resident if invitation else None,
        certificate=invitation.certificate if invitation else None,
        created_at=now,
        created_by=user,
    )
    for _attempt in range(5):
        reservation.number = random_code(8)
        reservation.token = Reservation.new_token()
        if plain_sql.insert_unless_taken(reservation, then=written_with(reservation)):
            return reservation
    raise RuntimeError("could not allocate a unique reservation number")


def reservation_lookup(*, number: str, phone: str) -> Reservation | None:
    """The reservation only when both the number and the phone match; the caller shows one answer for both."""
    reservation = Reservation.objects.select_related("slot", "procedure").filter(number=normalize_code(number)).first()
    if reservation is None or reservation.anonymised_at is not None:
        return None
    if reservation.phone_digits != jp.phone_digits(phone):
        return None
    return reservation


def _lock_clerks_of(*reservation_ids: int, more: Iterable[date] = ()) -> None:
    # Before any row lock (see staffing.clerks_lock): the days of the reservations as they are now.
    days = Reservation.objects.filter(pk__in=reservation_ids).values_list("slot__day", flat=True)
    staffing.clerks_lock(*days, *more)


@transaction.atomic
def reservation_cancel(
    *, reservation: Reservation, now: datetime | None = None, user: User | None = None, reason: str = ""
) -> Reservation:
    now = now or timezone.now()
    _lock_clerks_of(reservation.pk)
    reservation = Reservation.objects.select_for_update().select_related("slot", "procedure").get(pk=reservation.pk)
    if reservation.status != Reservation.Status.BOOKED:
        if reservation.status == Reservation.Status.CANCELLED:
            raise ValidationError(_("この予約はすでに取り消されています。"), code="already")
        raise ValidationError(_("この予約は取り消せません。"))
    if user is None and not rules.can_change_online(reservation, now=now):
        raise ValidationError(_("締切を過ぎたため、インターネットでは取り消せません。お電話でご連絡ください。"))
    reservation.status = Reservation.Status.CANCELLED
    reservation.status_changed_at = now
    reservation.status_changed_by = user
    reservation.cancel_reason = reason[:200]
    reservation.save(update_fields=["status", "status_changed_at", "status_changed_by", "cancel_reason"])
    _release_place(reservation.slot_id, reservation.procedure_id)
    staffing.places_refresh(
        day=reservation.slot.day, clerk_ids=[reservation.clerk_id], skip_procedure_id=reservation.procedure_id
    )
    staffing.booking_left(reservation, "cancelled", actor=user, now=now)
    if reservation.invitation_id:
        # The letter's code works again, so a resident who cancels can still book with it.
        Invitation.objects.filter(pk=reservation.invitation_id).update(used_at=None)
    return reservation


@transaction.atomic
def reservation_change(
    *, reservation: Reservation, new_slot_id: int, now: datetime | None = None, user: User | None = None
) -> Reservation:
    now = now or timezone.now()
    new_day = Slot.objects.filter(pk=new_slot_id).values_list("day", flat=True).first()
    _lock_clerks_of(reservation.pk, more=[new_day] if new_day else [])
    reservation = Reservation.objects.select_for_update().select_related("slot", "procedure").get(pk=reservation.pk)
    if reservation.status != Reservation.Status.BOOKED:
        raise ValidationError(_("この予約は変更できません。"))
    if user is None and not rules.can_change_online(reservation, now=now):
        raise ValidationError(_("締切を過ぎたため、インターネットでは変更できません。お電話でご連絡ください。"))
    if reservation.slot_id == int(new_slot_id):
        return reservation
    slot = Slot.objects.select_related("procedure").filter(pk=new_slot_id, procedure=reservation.procedure).first()
    if slot is None:
        raise ValidationError(_("選択した時間は予約できません。もう一度選んでください。"))
    _check_slot_open(slot, now=now, staff=user is not None)
    # The new place is held before the old one is released: a failure leaves the booking as it was.
    choice = _choose_clerk(slot, _take_place(slot))
    clerk_id = choice.clerk_id
    _release_place(reservation.slot_id, reservation.procedure_id)
    old_day, old_clerk = reservation.slot.day, reservation.clerk_id
    reservation.slot = slot
    reservation.clerk_id = clerk_id
    reservation.reminder_sent_at = None
    reservation.confirmation_sent_at = None
    reservation.save(update_fields=["slot", "clerk", "reminder_sent_at", "confirmation_sent_at"])
    staffing.booking_staffed(reservation, actor=user, now=now)
    staffing.booking_left(reservation, "moved", actor=user, now=now)
    staffing.places_refresh(day=old_day, clerk_ids=[old_clerk], skip_procedure_id=reservation.procedure_id)
    staffing.places_refresh(
        day=slot.day,
        clerk_ids=[clerk_id],
        skip_procedure_id=reservation.procedure_id,
        procedure_ids=choice.procedure_ids,
    )
    if reservation.email:
        transaction.on_commit(lambda: notify_async("reservations.tasks.send_confirmation", reservation.pk))
    return reservation


TRANSITIONS: dict[str, set[str]] = {
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
    user: User,
    expected: str | None = None,
    now: datetime | None = None,
) -> Reservation:
    """Move a reservation along the counter's states; `expected` guards against two clerks clicking at once."""
    now = now or timezone.now()
    _lock_clerks_of(reservation.pk)
    reservation = Reservation.objects.select_for_update().get(pk=reservation.pk)
    if expected and reservation.status != expected:
        raise ValidationError(
            f"予約 {reservation.display_number} は別の職員がすでに「{reservation.get_status_display()}」にしています。"
        )
    if status == reservation.status:
        return reservation
    if status not in TRANSITIONS.get(reservation.status, set()):
        raise ValidationError(
            f"「{reservation.get_status_display()}」から「{Reservation.Status(status).label}」には変更できません。"
        )
    if status == Reservation.Status.CANCELLED:
        return reservation_cancel(reservation=reservation, user=user, now=now, reason="職員が取消")
    if status == Reservation.Status.ARRIVED:
        _check_appointment_today(reservation, now=now, doing="来庁にする")
    previous = reservation.status
    reservation.status = status
    reservation.status_changed_at = now
    reservation.status_changed_by = user
    # The counter's clock for the waiting-time report: undoing a step clears the time it had set.
    if status == Reservation.Status.ARRIVED and previous != Reservation.Status.DONE:
        reservation.arrived_at, reservation.called_at = now, None
    elif status == Reservation.Status.ARRIVED:
        reservation.done_at = None
    elif status == Reservation.Status.DONE:
        reservation.done_at = now
    elif status in (Reservation.Status.BOOKED, Reservation.Status.NO_SHOW):
        reservation.arrived_at = reservation.called_at = reservation.done_at = None
    reservation.save(
        update_fields=["status", "status_changed_at", "status_changed_by", "arrived_at", "called_at", "done_at"]
    )
    if (previous in Reservation.ACTIVE) != (status in Reservation.ACTIVE):
        # Served or not come: the clerk is free again for the other procedures' slots (or busy again, undone).
        _refresh_for(reservation)
    return reservation


def _refresh_for(reservation: Reservation) -> None:
    day = Slot.objects.values_list("day", flat=True).get(pk=reservation.slot_id)
    staffing.places_refresh(day=day, clerk_ids=[reservation.clerk_id], skip_procedure_id=reservation.procedure_id)


def reservation_mark_called(*, reservation: Reservation, user: User, now: datetime | None = None) -> None:
    """The clerk calls the resident to the counter: service starts. Only once, only after the arrival."""
    now = now or timezone.now()
    # One conditional UPDATE: of two clerks clicking at once, one sets the time and the other is told.
    called = Reservation.objects.filter(
        pk=reservation.pk, status=Reservation.Status.ARRIVED, called_at__isnull=True
    ).update(called_at=now)
    if called != 1:
        current = Reservation.objects.get(pk=reservation.pk)
        if current.called_at is not None:
            called_time = timezone.localtime(current.called_at)
            raise ValidationError(f"予約 {current.display_number} はすでに{called_time:%H:%M}に呼び出しています。")
        raise ValidationError(
            f"予約 {current.display_number} はまだ来庁になっていません。先に「来庁」を押してください。"
        )


def reservation_photo_refused(*, reservation: Reservation, now: datetime | None = None) -> None:
    """Issuance from this booking was refused because the photo was too old (counted in the outcome report)."""
    now = now or timezone.now()
    Reservation.objects.filter(pk=reservation.pk, photo_refused_at__isnull=True).update(photo_refused_at=now)


def _check_appointment_today(reservation: Reservation, *, now: datetime, doing: str) -> None:
    day = Slot.objects.values_list("day", flat=True).get(pk=reservation.slot_id)
    if day != timezone.localdate(now):
        raise ValidationError(
            f"予約 {reservation.display_number} は{day:%Y年%-m月%-d日}の予約です。"
            f"{doing}ことができるのは、その日だけです。",
            code="other_day",
        )


def _check_issue_day(
    reservation: Reservation, *, kind: CertificateKind, issued_on: date, photo_taken_on: date | None, now: datetime
) -> None:
    """From an appointment the certificate is handed over on the appointment's day, dated that day. The refusal
    sits on 交付日, the field it is about, and the photo date is checked in the same answer, so the clerk learns
    everything wrong with the form at once."""
    day = Slot.objects.values_list("day", flat=True).get(pk=reservation.slot_id)
    today = timezone.localdate(now)
    if day == today and issued_on == today:
        return
    if day != today:
        message = (
            f"予約 {reservation.display_number} は{day:%Y年%-m月%-d日}の予約です。予約からの交付は、その日にだけ"
            f"できます（今日は{today:%Y年%-m月%-d日}です）。"
        )
    else:
        message = f"予約からの交付では、交付日は予約の日（今日、{today:%Y年%-m月%-d日}）です。"
    errors: dict[str, list[ValidationError]] = {"issued_on": [ValidationError(message, code="other_day")]}
    try:
        certificate_check_photo(kind=kind, photo_taken_on=photo_taken_on, issued_on=issued_on)
    except ValidationError as exc:
        for name, field_errors in exc.error_dict.items():
            errors.setdefault(name, []).extend(field_errors)
    raise ValidationError(errors)


@transaction.atomic
def reservation_issue_certificate(
    *,
    reservation: Reservation,
    resident: Resident,
    user: User,
    kind: CertificateKind,
    issued_on: date,
    photo_taken_on: date | None,
    route_from: str = "",
    route_to: str = "",
    now: datetime | None = None,
    photo_reuse_confirmed: bool = False,
) -> Certificate:
    """Issue (or renew) the certificate at the counter from today's appointment, in one transaction: the
    certificate, the link from the appointment, its "done" status and the access-log entry all happen, or none."""
    now = now or timezone.now()
    _lock_clerks_of(reservation.pk)
    reservation = Reservation.objects.select_for_update().get(pk=reservation.pk)
    if reservation.issued_certificate_id:
        raise ValidationError("この予約ではすでに証明書を交付しています。", code="already")
    if reservation.status not in Reservation.ACTIVE:
        raise ValidationError(f"「{reservation.get_status_display()}」の予約からは交付できません。")
    _check_issue_day(reservation, kind=kind, issued_on=issued_on, photo_taken_on=photo_taken_on, now=now)
    if reservation.resident_id is not None and reservation.resident_id != resident.pk:
        raise ValidationError("この予約は別の方のものです。")
    previous = selectors.previous_certificate(reservation=reservation, resident=resident)
    renews = (
        previous
        if previous is not None and previous.kind_id == kind.pk and previous.status == Certificate.Status.VALID
        else None
    )
    certificate = certificate_issue(
        resident=resident,
        kind=kind,
        issued_on=issued_on,
        photo_taken_on=photo_taken_on,
        user=user,
        route_from=route_from,
        route_to=route_to,
        renews=renews,
        today=timezone.localdate(now),
        photo_reuse_confirmed=photo_reuse_confirmed,
    )
    reservation.issued_certificate = certificate
    reservation.resident = resident
    reservation.status = Reservation.Status.DONE
    reservation.status_changed_at = now
    reservation.status_changed_by = user
    reservation.done_at = now
    reservation.save(
        update_fields=["issued_certificate", "resident", "status", "status_changed_at", "status_changed_by", "done_at"]
    )
    _refresh_for(reservation)
    access_log_record(
        user=user,
        action=AccessLog.Action.UPDATE,
        resident=resident,
        detail=f"予約 {reservation.number} から証明書 {certificate.number} を交付",
    )
    return certificate

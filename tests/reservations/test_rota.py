"""Qualifications and the duty rota decide the places of a slot and who serves each booking."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.core.exceptions import ValidationError

from reservations import rota, rules, staffing, walk_ins
from reservations.models import (
    DutyException,
    GuideTick,
    OpeningHours,
    Procedure,
    Reservation,
    RotaLog,
    Slot,
    UnstaffedBooking,
)
from reservations.offices import office_procedure_copy
from tests import factories

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)
FRIDAY = date(2026, 11, 27)


def one_morning_slot_hours(procedure, places: int = 2) -> None:
    """Opening hours of a single 9:00–9:30 slot on Thursdays and Fridays, to keep the counts readable."""
    OpeningHours.objects.filter(procedure=procedure).delete()
    for weekday in (3, 4):
        OpeningHours.objects.create(
            procedure=procedure, weekday=weekday, start=time(9, 0), end=time(9, 30), slot_minutes=30, places=places
        )


def test_the_places_rule_is_the_smaller_of_the_cap_and_the_clerks_on_duty() -> None:
    assert rules.places(cap=2, clerks_on_duty=0) == 0
    assert rules.places(cap=2, clerks_on_duty=1) == 1
    assert rules.places(cap=2, clerks_on_duty=5) == 2
    assert rules.places(cap=0, clerks_on_duty=3) == 0


def test_an_absence_for_some_hours_cuts_the_weekly_pattern(frozen) -> None:
    veteran = factories.clerk("sato")
    factories.weekly(veteran, start=time(8, 30), end=time(17, 0))
    factories.on_duty(factories.clerk("ito"), THURSDAY, time(9, 0), time(10, 0))
    DutyException.objects.create(user=veteran, day=THURSDAY, start=time(10, 0), end=time(11, 0), kind="training")
    DutyException.objects.create(user=veteran, day=FRIDAY, kind="leave")
    duty = rota.duty_for(start=THURSDAY, end=FRIDAY)
    assert duty.day_intervals(veteran.pk, THURSDAY) == [(time(8, 30), time(10, 0)), (time(11, 0), time(17, 0))]
    assert duty.on_duty(veteran.pk, THURSDAY, time(9, 30), time(10, 0))
    assert not duty.on_duty(veteran.pk, THURSDAY, time(9, 45), time(10, 15))
    assert duty.day_intervals(veteran.pk, FRIDAY) == []


def test_an_inactive_account_is_never_on_duty(frozen) -> None:
    gone = factories.clerk("gone")
    factories.weekly(gone)
    gone.is_active = False
    gone.save()
    assert rota.duty_for(start=THURSDAY, end=THURSDAY).day_intervals(gone.pk, THURSDAY) == []
    assert gone.pk not in rota.qualified_ids(factories.procedure())


def test_a_slot_offers_places_only_while_a_qualified_clerk_is_on_duty(frozen) -> None:
    procedure = factories.procedure()
    one_morning_slot_hours(procedure, places=2)
    unqualified = factories.user("newcomer", "clerk")
    factories.weekly(unqualified)
    staffing.slots_sync(procedure=procedure, start=THURSDAY, end=FRIDAY)
    assert dict(Slot.objects.values_list("day", "places")) == {THURSDAY: 0, FRIDAY: 0}

    factories.weekly(factories.clerk("sato"), weekdays=[3, 4])
    factories.weekly(factories.clerk("ito"), weekdays=[3])
    factories.weekly(factories.clerk("kato"), weekdays=[3])
    staffing.slots_sync(procedure=procedure, start=THURSDAY, end=FRIDAY)
    # Thursday: three qualified clerks, capped at 2; Friday: one.
    assert dict(Slot.objects.values_list("day", "places")) == {THURSDAY: 2, FRIDAY: 1}


def test_the_forecast_counts_places_by_the_same_rule(frozen) -> None:
    procedure = factories.procedure()
    one_morning_slot_hours(procedure, places=2)
    factories.weekly(factories.clerk("sato"), weekdays=[3, 4])
    factories.weekly(factories.clerk("ito"), weekdays=[3])
    planned = rules.slot_places(procedure=procedure, start=THURSDAY, end=FRIDAY)
    assert {day: places for (day, _start), (_end, places) in planned.items()} == {THURSDAY: 2, FRIDAY: 1}


def test_a_booking_gets_the_least_busy_qualified_clerk_on_duty(frozen) -> None:
    sato, ito = factories.clerk("sato"), factories.clerk("ito")
    factories.weekly(sato)
    factories.weekly(ito)
    first = factories.slot(THURSDAY, time(9, 0), places=1)
    # Another slot that day already booked with Sato: Ito has fewer bookings, so Ito is chosen.
    Slot.objects.filter(pk=first.pk).update(places=2, rota_places=2)
    book = factories.slot(THURSDAY, time(10, 0), places=0)
    Slot.objects.filter(pk=book.pk).update(places=2, rota_places=2)
    make_booking(first, sato)
    assert staffing.clerk_choose(slot=book).clerk_id == ito.pk


def test_a_clerk_serving_someone_in_the_slot_is_not_chosen_again(frozen) -> None:
    sato = factories.clerk("sato")
    factories.weekly(sato)
    slot = factories.slot(THURSDAY, time(9, 0), places=0)
    make_booking(slot, sato)
    with pytest.raises(staffing.NoClerkFree):
        staffing.clerk_choose(slot=slot)


def make_booking(slot: Slot, clerk) -> Reservation:
    Slot.objects.filter(pk=slot.pk).update(booked=slot.booked + 1, places=max(slot.places, slot.booked + 1))
    slot.refresh_from_db()
    n = Reservation.objects.count() + 1
    return Reservation.objects.create(
        number=f"N{n:07d}",
        token=f"t{n}",
        procedure=slot.procedure,
        slot=slot,
        family_name="田中",
        given_name="太郎",
        family_name_kana="タナカ",
        given_name_kana="タロウ",
        phone=f"090-0000-{n:04d}",
        phone_digits=f"0900000{n:04d}",
        clerk=clerk,
        email="taro@example.jp" if n % 2 else "",
    )


def test_an_absence_moves_bookings_to_a_free_colleague_and_lists_the_rest(frozen, bob) -> None:
    procedure = factories.procedure()
    one_morning_slot_hours(procedure, places=2)
    sato, ito = factories.clerk("sato"), factories.clerk("ito")
    factories.weekly(sato, weekdays=[3, 4])
    factories.weekly(ito, weekdays=[3])
    staffing.slots_sync(procedure=procedure, start=THURSDAY, end=FRIDAY)
    thursday = Slot.objects.get(day=THURSDAY)
    friday = Slot.objects.get(day=FRIDAY)
    on_thursday = make_booking(thursday, sato)
    on_friday = make_booking(friday, sato)

    outcome = staffing.duty_exception_add(user=sato, day=THURSDAY, kind="leave", actor=bob)
    on_thursday.refresh_from_db()
    assert on_thursday.clerk == ito
    assert [(r.pk, old, new) for r, old, new in outcome.result.moved] == [(on_thursday.pk, sato, ito)]
    thursday.refresh_from_db()
    assert (thursday.places, thursday.booked) == (1, 1)

    outcome = staffing.duty_exception_add(user=sato, day=FRIDAY, kind="sick", actor=bob)
    assert outcome.result.unstaffed == [on_friday]
    on_friday.refresh_from_db()
    assert on_friday.status == "booked"
    friday.refresh_from_db()
    # The booking keeps its place, and nobody else can book the slot.
    assert (friday.rota_places, friday.places, friday.booked) == (0, 1, 1)
    listed = UnstaffedBooking.objects.get(reservation=on_friday, resolved_at__isnull=True)
    assert listed.absent_clerk == sato
    actions = list(RotaLog.objects.order_by("at", "id").values_list("action", flat=True))
    assert actions == ["exc_added", "reassigned", "exc_added", "unstaffed"]


def test_removing_the_absence_puts_the_clerk_back_and_closes_the_listing(frozen, bob) -> None:
    procedure = factories.procedure()
    one_morning_slot_hours(procedure, places=1)
    sato = factories.clerk("sato")
    factories.weekly(sato, weekdays=[4])
    staffing.slots_sync(procedure=procedure, start=THURSDAY, end=FRIDAY)
    friday = Slot.objects.get(day=FRIDAY)
    booking = make_booking(friday, sato)
    outcome = staffing.duty_exception_add(user=sato, day=FRIDAY, kind="training", actor=bob)
    staffing.duty_exception_remove(exception=outcome.exception, actor=bob)
    assert not UnstaffedBooking.objects.filter(reservation=booking, resolved_at__isnull=True).exists()
    assert UnstaffedBooking.objects.get(reservation=booking).resolution == "covered"
    friday.refresh_from_db()
    assert (friday.rota_places, friday.places) == (1, 1)


def test_withdrawing_a_qualification_restaffs_that_clerks_bookings(frozen, bob) -> None:
    procedure = factories.procedure()
    one_morning_slot_hours(procedure, places=2)
    sato, ito = factories.clerk("sato"), factories.clerk("ito")
    factories.weekly(sato, weekdays=[3])
    factories.weekly(ito, weekdays=[3])
    staffing.slots_sync(procedure=procedure, start=THURSDAY, end=THURSDAY)
    booking = make_booking(Slot.objects.get(day=THURSDAY), ito)
    staffing.qualifications_set(user=ito, procedure_ids=[], actor=bob)
    booking.refresh_from_db()
    assert booking.clerk == sato
    assert Slot.objects.get(day=THURSDAY).places == 1
    assert RotaLog.objects.filter(action="unqualified", clerk=ito).exists()


def test_the_supervisor_reassigns_only_to_a_qualified_clerk_on_duty_and_free(frozen, bob) -> None:
    sato, ito = factories.clerk("sato"), factories.clerk("ito")
    newcomer = factories.user("newcomer", "clerk")
    factories.weekly(sato)
    slot = factories.slot(THURSDAY, time(9, 0), places=1)
    booking = make_booking(slot, sato)
    with pytest.raises(ValidationError, match="担当資格"):
        staffing.reservation_reassign(reservation=booking, clerk_id=newcomer.pk, actor=bob)
    with pytest.raises(ValidationError, match="勤務していません"):
        staffing.reservation_reassign(reservation=booking, clerk_id=ito.pk, actor=bob)
    factories.on_duty(ito, THURSDAY, time(9, 0), time(12, 0))
    staffing.reservation_reassign(reservation=booking, clerk_id=ito.pk, actor=bob)
    booking.refresh_from_db()
    assert booking.clerk == ito
    assert RotaLog.objects.filter(action="reassigned", reservation=booking, actor=bob).exists()


def test_an_offer_by_mail_needs_an_address_and_is_logged(
    frozen, bob, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    procedure = factories.procedure()
    one_morning_slot_hours(procedure, places=1)
    sato = factories.clerk("sato")
    factories.weekly(sato, weekdays=[3, 4])
    staffing.slots_sync(procedure=procedure, start=THURSDAY, end=date(2026, 12, 3))
    with_mail = make_booking(Slot.objects.get(day=date(2026, 12, 3)), sato)
    without = make_booking(Slot.objects.get(day=FRIDAY), sato)
    assert with_mail.email and not without.email
    staffing.duty_exception_add(user=sato, day=FRIDAY, kind="leave", actor=bob)
    staffing.duty_exception_add(user=sato, day=date(2026, 12, 3), kind="leave", actor=bob)
    listed_without = UnstaffedBooking.objects.get(reservation=without)
    with pytest.raises(ValidationError, match="メールアドレスがありません"):
        staffing.unstaffed_offer(unstaffed=listed_without, channel="mail", actor=bob)
    staffing.unstaffed_offer(unstaffed=listed_without, channel="phone", actor=bob)
    listed = UnstaffedBooking.objects.get(reservation=with_mail)
    with django_capture_on_commit_callbacks(execute=True):
        staffing.unstaffed_offer(unstaffed=listed, channel="mail", actor=bob)
    assert len(mailoutbox) == 1
    assert f"/reservation/{with_mail.token}/change/" in mailoutbox[0].body
    assert "手当" not in mailoutbox[0].body and "福祉" not in mailoutbox[0].body
    assert RotaLog.objects.filter(action="offered").count() == 2


def test_the_guide_is_versioned_and_the_ticks_keep_the_version_followed(frozen, bob, alice) -> None:
    procedure = factories.procedure()
    first = staffing.guide_current(procedure)
    assert first is not None and first.version == 1
    slot = factories.slot(THURSDAY, time(9, 0), places=1)
    booking = make_booking(slot, alice)
    lines = staffing.guide_lines(first, reservation=booking)
    steps = [line.index for line in lines if not line.heading]
    assert any("2026年5月26日" in line.text for line in lines)  # the photo date for this appointment
    staffing.guide_ticks_save(reservation=booking, guide=first, done_steps=steps[:2], actor=alice)
    second = staffing.guide_publish(procedure=procedure, steps="# 新しい手順\n写真を確認する", note="簡略化", actor=bob)
    assert second.version == 2
    assert staffing.guide_for_reservation(booking) == first
    with pytest.raises(ValidationError):
        staffing.guide_ticks_save(reservation=booking, guide=second, done_steps=[1], actor=alice)
    staffing.guide_ticks_save(reservation=booking, guide=first, done_steps=steps[1:3], actor=alice)
    ticks = dict(GuideTick.objects.filter(reservation=booking).values_list("step", "done"))
    assert ticks == {steps[0]: False, steps[1]: True, steps[2]: True}
    with pytest.raises(ValidationError, match="同じ内容"):
        staffing.guide_publish(procedure=procedure, steps="# 新しい手順\n写真を確認する", note="", actor=bob)


def test_the_choice_of_a_clerk_reads_the_same_rota_as_the_other_readers(frozen, alice) -> None:
    """rota.slot_clerks, the booking's one query, answers as qualified_ids, duty_for and busy_for do for the
    clerks qualified for the procedure, on SQLite and PostgreSQL alike."""
    day = factories.TODAY
    procedure = factories.procedure()
    other = office_procedure_copy(procedure=procedure, office=procedure.office, slug="jr-pass-other")
    withdrawn = office_procedure_copy(procedure=procedure, office=procedure.office, slug="jr-pass-withdrawn")
    Procedure.objects.filter(pk=withdrawn.pk).update(is_active=False)
    sato = factories.clerk("sato")
    factories.clerk("sato", other)
    factories.clerk("sato", withdrawn)
    ito, kato, gone = factories.clerk("ito"), factories.clerk("kato"), factories.clerk("gone")
    factories.weekly(factories.user("newcomer", "clerk"))
    for account in (sato, kato, gone):
        factories.weekly(account, start=time(8, 30), end=time(12, 0))
        factories.weekly(account, start=time(13, 0), end=time(17, 15))
    DutyException.objects.create(user=sato, day=day, start=time(10, 30), end=time(11, 0), kind="training")
    DutyException.objects.create(user=kato, day=day, kind="leave")
    factories.on_duty(ito, day, time(9, 0), time(12, 0))
    factories.on_duty(sato, day, time(12, 0), time(13, 0))
    type(gone).objects.filter(pk=gone.pk).update(is_active=False)
    make_booking(factories.slot(day, time(11, 0), places=1, proc=other), sato)
    make_booking(factories.slot(day, time(11, 30), places=1), ito)
    walk_in = walk_ins.walk_in_record(procedure=procedure, user=alice)
    walk_ins.walk_in_mark(walk_in=walk_in, step="called", user=ito)

    clerks = rota.slot_clerks(procedure_id=procedure.pk, day=day)

    qualified = rota.qualified_ids(procedure)
    assert clerks.qualified == qualified and {sato.pk, ito.pk, kato.pk} <= qualified
    assert clerks.duty.intervals == {
        key: value for key, value in rota.duty_for(start=day, end=day).intervals.items() if key[0] in qualified
    }
    assert clerks.duty.day_intervals(sato.pk, day) == [(time(8, 30), time(10, 30)), (time(11, 0), time(17, 15))]
    assert clerks.duty.day_intervals(kato.pk, day) == []

    def spans(busy: rota.Busy) -> dict:
        return {
            key: sorted(value, key=lambda s: (s.start, s.end))
            for key, value in busy.spans.items()
            if key[0] in qualified
        }

    assert spans(clerks.busy) == spans(rota.busy_for(start=day, end=day))
    assert clerks.busy.serving(ito.pk, day, time(10, 0), time(10, 15))
    assert clerks.busy.bookings(sato.pk, day) == 1
    assert clerks.procedures[sato.pk] == {procedure.pk, other.pk}
    assert clerks.procedures[ito.pk] == {procedure.pk}
